"""`filesystem.list_directory`: the entries of one directory, sorted, with sizes.

Scope: one level; directories end in "/", symlinks in "@" (never followed), files show their size;
at most `MAX_ENTRIES` with a note for the rest. Hidden entries are listed too. Non-goals: recursion
(use filesystem.glob), ignore rules.
"""

from __future__ import annotations

import os
from typing import Any

from entropi.agent.tools.base import PathSubjectMixin, ToolBase, ToolContext, ToolError, ToolResult
from entropi.agent.tools.paths import relative, resolve_in_root

MAX_ENTRIES = 500


def human_size(size: int) -> str:
    """1234 -> "1.2K"; below 1 KiB in bytes ("512B")."""
    if size < 1024:
        return f"{size}B"
    value, unit = size / 1024, "K"
    for bigger in ("M", "G"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f}{unit}"


def _describe(entry: os.DirEntry[str]) -> str:
    if entry.is_symlink():
        return f"{entry.name}@"
    if entry.is_dir():
        return f"{entry.name}/"
    try:
        return f"{entry.name}  {human_size(entry.stat().st_size)}"
    except OSError:
        return entry.name


class ListDirectoryTool(PathSubjectMixin, ToolBase):
    name = "filesystem.list_directory"
    mutates = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        user_path = args.get("path") or "."
        path = resolve_in_root(ctx.project_root, user_path)
        if not path.exists():
            raise ToolError("not_found", f"no directory {user_path}")
        if not path.is_dir():
            raise ToolError("not_a_directory", f"{user_path} is a file; use filesystem.read_file")
        with os.scandir(path) as it:
            entries = sorted(it, key=lambda e: e.name)
        rel = relative(ctx.project_root, path)
        lines = [_describe(entry) for entry in entries[:MAX_ENTRIES]]
        if len(entries) > MAX_ENTRIES:
            lines.append(f"[… {len(entries) - MAX_ENTRIES} more entries not shown; use filesystem.glob]")
        count = f"{len(entries)} entry" if len(entries) == 1 else f"{len(entries)} entries"
        header = f"{rel}/ ({count})" if entries else f"{rel}/ (empty directory)"
        return ToolResult.ok("\n".join([header, *lines]), data={"path": rel, "entries": len(entries)})
