"""The shapes every tool shares: the result, the error a tool raises, the context it runs in, the protocol.

Scope: data types and the `ToolBase` convenience class that loads a tool's JSON schema from
`entropi/defaults/tools/<name>.json`. Non-goals: argument validation against the schema (the agent loop does
that before a call), permissions, output capping and timing (the registry does those).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from entropi.config.schema import ToolsConfig, known_tools

if TYPE_CHECKING:
    from entropi.agent.tools.files import FileTracker
    from entropi.agent.tools.todo import TodoList


@dataclass
class ToolResult:
    """What one tool call produced; `content` is the text the model sees."""

    status: Literal["ok", "error"]
    content: str
    error_code: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    changed_files: list[str] = field(default_factory=list)
    duration_ms: float = 0.0

    @classmethod
    def ok(cls, content: str, **kwargs: Any) -> ToolResult:
        return cls(status="ok", content=content, **kwargs)

    @classmethod
    def error(cls, code: str, message: str, **kwargs: Any) -> ToolResult:
        return cls(status="error", content=message, error_code=code, **kwargs)


class ToolError(Exception):
    """Raised inside a tool; the registry turns it into an error ToolResult with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ToolContext:
    """Everything a tool may touch: the project root, limits, session state, the cancel flag."""

    project_root: Path
    config: ToolsConfig
    files: FileTracker
    todos: TodoList
    tier: str
    cancel: threading.Event | None = None


@runtime_checkable
class Tool(Protocol):
    """One callable tool. `subject` is what `tool:glob` permission patterns match against."""

    name: str
    schema: dict[str, Any]
    mutates: bool

    def subject(self, args: dict[str, Any]) -> str: ...

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult: ...


class ToolBase:
    """The protocol's plumbing: the schema from the defaults, an empty subject; subclasses add `run`."""

    name: str
    mutates: bool = False

    def __init__(self) -> None:
        tools = known_tools()
        if self.name not in tools:
            raise ValueError(f"no schema for tool {self.name!r} in entropi/defaults/tools/")
        self.schema: dict[str, Any] = tools[self.name]

    def subject(self, args: dict[str, Any]) -> str:
        return ""


class PathSubjectMixin:
    """Filesystem tools: the permission subject is the `path` argument (default ".")."""

    def subject(self, args: dict[str, Any]) -> str:
        path = args.get("path")
        return path if isinstance(path, str) and path else "."


def check_cancel(ctx: ToolContext) -> None:
    """Raise ToolError "cancelled" once the user has cancelled the turn."""
    if ctx.cancel is not None and ctx.cancel.is_set():
        raise ToolError("cancelled", "cancelled by the user")
