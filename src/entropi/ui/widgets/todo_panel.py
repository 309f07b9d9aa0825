"""The session's todo list as a live side panel (hidden while the list is empty)."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Label

MARKS = {"pending": "☐", "in_progress": "◐", "completed": "☑"}


class TodoPanel(VerticalScroll):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.border_title = "todo"
        self.display = False
        self.todos: list[dict[str, str]] = []

    async def show(self, todos: list[dict[str, str]]) -> None:
        """Replace the shown items with ``todos`` (dicts with id, content, status)."""
        self.todos = [dict(t) for t in todos]
        await self.remove_children()
        labels = []
        for item in self.todos:
            status = item.get("status", "pending")
            mark = MARKS.get(status, "?")
            labels.append(
                Label(f"{mark} {item.get('content', '')}", markup=False, classes=f"todo todo-{status}")
            )
        await self.mount_all(labels)
        self.display = bool(self.todos)
