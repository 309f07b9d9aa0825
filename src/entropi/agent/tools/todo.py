"""The session's todo list, which the model keeps with `entropi.todo_write`.

Scope: items (id, content, status), the four edit actions, a compact text rendering. Every action is
validated in full before anything changes, so a bad call leaves the list as it was. Non-goals: persistence
(the session store keeps the tool calls) and rules such as "one item in progress at a time".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from entropi.agent.tools.base import ToolError

STATUSES = ("pending", "in_progress", "completed")
ACTIONS = ("add", "update", "remove", "replace")
_MARKS = {"pending": " ", "in_progress": ">", "completed": "x"}


@dataclass
class TodoItem:
    id: str
    content: str
    status: str = "pending"


def _bad(message: str) -> ToolError:
    return ToolError("invalid_arguments", message)


def _item_id(raw: Any) -> str:
    if not isinstance(raw, dict):
        raise _bad(f"each item must be an object with an id, got {type(raw).__name__}")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id.strip():
        raise _bad("each item needs a non-empty string id")
    return item_id.strip()


def _status(raw: dict[str, Any], default: str | None) -> str | None:
    status = raw.get("status", default)
    if status is not None and status not in STATUSES:
        raise _bad(f"status {status!r} is not one of {', '.join(STATUSES)}")
    return status


def _new_items(items: list[Any]) -> list[TodoItem]:
    """Full items for add / replace: id and content required, ids unique within the call."""
    built: list[TodoItem] = []
    for raw in items:
        item_id = _item_id(raw)
        content = raw.get("content")
        if not isinstance(content, str) or not content.strip():
            raise _bad(f"item {item_id!r} needs a non-empty content")
        if any(item.id == item_id for item in built):
            raise _bad(f"id {item_id!r} appears twice in this call")
        built.append(TodoItem(item_id, content.strip(), _status(raw, "pending") or "pending"))
    return built


class TodoList:
    """Ordered todo items; `apply` edits, `render` shows them to the model."""

    def __init__(self) -> None:
        self._items: list[TodoItem] = []

    def _find(self, item_id: str) -> TodoItem:
        for item in self._items:
            if item.id == item_id:
                return item
        known = ", ".join(item.id for item in self._items) or "none"
        raise _bad(f"no todo item with id {item_id!r} (ids: {known})")

    def apply(self, action: str, items: list[Any]) -> None:
        """Add, update, remove or replace items; ToolError "invalid_arguments" and no change on bad input."""
        if action not in ACTIONS:
            raise _bad(f"action {action!r} is not one of {', '.join(ACTIONS)}")
        if not isinstance(items, list):
            raise _bad("items must be a list")
        if not items and action != "replace":
            raise _bad(f"{action} needs at least one item")
        if action == "replace":
            self._items = _new_items(items)
        elif action == "add":
            added = _new_items(items)
            for item in added:
                if any(old.id == item.id for old in self._items):
                    raise _bad(f"id {item.id!r} already exists; use update to change it")
            self._items.extend(added)
        elif action == "remove":
            doomed = {self._find(_item_id(raw)).id for raw in items}
            self._items = [item for item in self._items if item.id not in doomed]
        else:
            self._update(items)

    def _update(self, items: list[Any]) -> None:
        changes: list[tuple[TodoItem, str | None, str | None]] = []
        for raw in items:
            target = self._find(_item_id(raw))
            content = raw.get("content")
            if content is not None and (not isinstance(content, str) or not content.strip()):
                raise _bad(f"item {target.id!r}: content must be a non-empty string")
            status = _status(raw, None)
            if content is None and status is None:
                raise _bad(f"item {target.id!r}: give a new content or status to update")
            changes.append((target, content, status))
        for target, content, status in changes:
            if content is not None:
                target.content = content.strip()
            if status is not None:
                target.status = status

    def to_list(self) -> list[dict[str, str]]:
        return [asdict(item) for item in self._items]

    def render(self) -> str:
        if not self._items:
            return "Todo list: (empty)"
        lines = [f"- [{_MARKS[item.status]}] {item.id} {item.content}" for item in self._items]
        return "Todo list:\n" + "\n".join(lines)
