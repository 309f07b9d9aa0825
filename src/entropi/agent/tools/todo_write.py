"""`entropi.todo_write`: the model edits the session's todo list and sees it rendered back.

Non-goals: the list itself (see `todo.py`).
"""

from __future__ import annotations

from typing import Any

from entropi.agent.tools.base import ToolBase, ToolContext, ToolResult


class TodoWriteTool(ToolBase):
    name = "entropi.todo_write"
    mutates = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        ctx.todos.apply(args.get("action", ""), args.get("items", []))
        return ToolResult.ok(ctx.todos.render(), data={"todos": ctx.todos.to_list()})
