"""The tool registry: name -> tool, the schemas offered to a tier, and `execute`, which never raises.

Scope: dispatch, turning `ToolError` / `OSError` / any other exception into an error `ToolResult`, capping
the content fed back to the model at `result_max_chars` with a visible marker, timing each call.
Non-goals: schema validation of arguments and permission checks (the agent loop does both before `execute`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from entropi.agent.tools.base import Tool, ToolContext, ToolError, ToolResult
from entropi.agent.tools.bash import BashTool
from entropi.agent.tools.edit_file import EditFileTool
from entropi.agent.tools.git import GitAddTool, GitCommitTool, GitDiffTool, GitLogTool, GitStatusTool
from entropi.agent.tools.glob_files import GlobTool
from entropi.agent.tools.grep import GrepTool
from entropi.agent.tools.handoff import HandoffTool
from entropi.agent.tools.list_directory import ListDirectoryTool
from entropi.agent.tools.read_file import ReadFileTool
from entropi.agent.tools.todo_write import TodoWriteTool
from entropi.agent.tools.write_file import WriteFileTool

log = logging.getLogger(__name__)

DEFAULT_TOOLS = (
    ReadFileTool, WriteFileTool, EditFileTool, ListDirectoryTool, GlobTool, GrepTool, BashTool,
    GitStatusTool, GitDiffTool, GitLogTool, GitAddTool, GitCommitTool, TodoWriteTool, HandoffTool,
)  # fmt: skip


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def cap_content(content: str, limit: int) -> str:
    """`content` cut to `limit` characters plus a marker saying how much was cut."""
    if len(content) <= limit:
        return content
    return f"{content[:limit]}\n[… {len(content) - limit} more characters truncated]"


class ToolRegistry:
    """A fixed set of tools, by name."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"tool {tool.name!r} registered twice")
            self._tools[tool.name] = tool

    @classmethod
    def default(cls) -> ToolRegistry:
        """All built-in tools."""
        return cls(tool_class() for tool_class in DEFAULT_TOOLS)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def schemas(self, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Schemas of `names` (all tools when None), in the given order; ValueError for an unknown name."""
        wanted = self.names() if names is None else list(names)
        unknown = [name for name in wanted if name not in self._tools]
        if unknown:
            raise ValueError(f"unknown tools: {', '.join(unknown)}; known: {', '.join(self.names())}")
        return [self._tools[name].schema for name in wanted]

    def execute(self, name: str, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        """Run one call. Never raises: every failure comes back as an error result."""
        started = time.perf_counter()
        result = self._run(name, args, ctx)
        result.content = cap_content(result.content, ctx.config.result_max_chars)
        result.duration_ms = (time.perf_counter() - started) * 1000
        return result

    def _run(self, name: str, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        tool = self._tools.get(name)
        if tool is None:
            return ToolResult.error(
                "unknown_tool", f"no tool named {name!r}; tools: {', '.join(self.names())}"
            )
        if not isinstance(args, dict):
            return ToolResult.error(
                "invalid_arguments", f"arguments must be an object, got {type(args).__name__}"
            )
        try:
            result = tool.run(args, ctx)
        except ToolError as exc:
            return ToolResult.error(exc.code, exc.message)
        except OSError as exc:
            where = f" ({Path(exc.filename).name})" if isinstance(exc.filename, str) else ""
            return ToolResult.error("io_error", f"{name}: {exc.strerror or _one_line(exc)}{where}")
        except Exception as exc:
            log.exception("tool %s failed", name)
            return ToolResult.error("internal_error", f"{name} failed: {_one_line(exc)}")
        if not isinstance(result, ToolResult):
            return ToolResult.error(
                "internal_error", f"{name} returned {type(result).__name__}, not a ToolResult"
            )
        return result
