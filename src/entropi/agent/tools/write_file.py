"""`filesystem.write_file`: create a file or overwrite one the model has read.

Scope: read-before-write, creating missing parent directories inside the root, refusing `.git/`, atomic
replacement. Non-goals: the diff preview for approval (the permission layer builds it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from entropi.agent.tools.base import PathSubjectMixin, ToolBase, ToolContext, ToolError, ToolResult
from entropi.agent.tools.files import atomic_write_bytes
from entropi.agent.tools.paths import refuse_git_dir, relative, resolve_in_root


def writable_target(ctx: ToolContext, user_path: str) -> Path:
    """The resolved path a write tool may replace: inside the root, not in .git/, not a directory."""
    path = resolve_in_root(ctx.project_root, user_path)
    refuse_git_dir(ctx.project_root, path)
    if path == ctx.project_root.resolve() or path.is_dir():
        raise ToolError("is_directory", f"{user_path} is a directory, not a file")
    if path.exists() and not path.is_file():
        raise ToolError("not_a_file", f"{user_path} is not a regular file")
    return path


def _make_parents(ctx: ToolContext, path: Path) -> None:
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            rel = relative(ctx.project_root, parent)
            raise ToolError("not_a_directory", f"{rel} is a file, so it cannot hold {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)


class WriteFileTool(PathSubjectMixin, ToolBase):
    name = "filesystem.write_file"
    mutates = True

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        content = args.get("content")
        if not isinstance(content, str):
            raise ToolError("invalid_arguments", "content must be a string")
        try:
            data = content.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ToolError("invalid_arguments", "content contains unpaired surrogate characters") from exc
        path = writable_target(ctx, args.get("path", ""))
        ctx.files.check_writable(path)
        created = not path.exists()
        _make_parents(ctx, path)
        atomic_write_bytes(path, data)
        ctx.files.record_write(path)
        rel = relative(ctx.project_root, path)
        lines = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
        verb = "Created" if created else "Overwrote"
        return ToolResult.ok(
            f"{verb} {rel} ({lines} lines, {len(data)} bytes)",
            data={"path": rel, "created": created},
            changed_files=[rel],
        )
