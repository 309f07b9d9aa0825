"""The agent's tools: filesystem, bash, git, todo list and tier handoff, behind one registry."""

from entropi.agent.tools.base import Tool, ToolBase, ToolContext, ToolError, ToolResult
from entropi.agent.tools.files import FileTracker, atomic_write_text
from entropi.agent.tools.paths import resolve_in_root
from entropi.agent.tools.registry import ToolRegistry
from entropi.agent.tools.todo import TodoList

__all__ = [
    "FileTracker",
    "TodoList",
    "Tool",
    "ToolBase",
    "ToolContext",
    "ToolError",
    "ToolRegistry",
    "ToolResult",
    "atomic_write_text",
    "resolve_in_root",
]
