"""`filesystem.grep`: lines matching a Python regular expression, as `path:line: text`.

Scope: one file or a directory tree (default the root), an optional glob filter (a name pattern like
`*.py`, or a path pattern relative to the root when it contains "/"), binary files and junk directories
skipped, symlinks that lead outside the root skipped, at most `MAX_MATCHES` matches, long lines cut.
Non-goals: multi-line patterns (each line is searched alone), files over `MAX_FILE_BYTES`, `.gitignore`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from entropi.agent.tools.base import (
    PathSubjectMixin,
    ToolBase,
    ToolContext,
    ToolError,
    ToolResult,
    check_cancel,
)
from entropi.agent.tools.files import SNIFF_BYTES, looks_binary
from entropi.agent.tools.glob_files import checked_pattern
from entropi.agent.tools.paths import is_inside, relative, resolve_in_root
from entropi.agent.tools.walk import glob_regex, walk_tree

MAX_MATCHES = 200
MAX_LINE_CHARS = 300
MAX_FILE_BYTES = 8_000_000


def _compile(pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise ToolError("invalid_arguments", "pattern is empty")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ToolError("invalid_arguments", f"invalid regular expression {pattern!r}: {exc}") from exc


def _searchable(path: Path) -> bool:
    """A file of sane size whose first bytes are text."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return False
        with path.open("rb") as f:
            return not looks_binary(f.read(SNIFF_BYTES))
    except OSError:
        return False


def _search(path: Path, rel: str, regex: re.Pattern[str], out: list[str]) -> bool:
    """Append the file's matching lines to `out`; True when a match was left out because `out` is full."""
    text = path.read_bytes().decode("utf-8", "replace")
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if regex.search(line):
            if len(out) >= MAX_MATCHES:
                return True
            shown = line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + " […]"
            out.append(f"{rel}:{number}: {shown}")
    return False


class GrepTool(PathSubjectMixin, ToolBase):
    name = "filesystem.grep"
    mutates = False

    def _candidates(self, ctx: ToolContext, top: Path, name_glob: str | None) -> list[tuple[str, Path]]:
        root = ctx.project_root
        if top.is_file():
            return [(relative(root, top), top)]
        if not top.is_dir():
            raise ToolError("not_found", f"no file or directory {relative(root, top)}")
        lead = "" if top == root.resolve() else relative(root, top) + "/"
        regex = glob_regex(name_glob) if name_glob else None
        files: list[tuple[str, Path]] = []
        for sub, path, is_dir in walk_tree(top):
            if is_dir:
                continue
            rel = lead + sub
            target = rel if name_glob and "/" in name_glob else path.name
            if regex is None or regex.match(target):
                files.append((rel, path))
        return files

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        regex = _compile(args.get("pattern"))
        name_glob = checked_pattern(args["glob"], "glob") if args.get("glob") is not None else None
        top = resolve_in_root(ctx.project_root, args.get("path") or ".")
        single = top.is_file()
        out: list[str] = []
        searched = skipped = 0
        full = False
        for rel, path in self._candidates(ctx, top, name_glob):
            check_cancel(ctx)
            if not is_inside(ctx.project_root, path) or not path.is_file():
                continue
            if not _searchable(path):
                if single:
                    raise ToolError("binary_file", f"{rel} is binary or larger than {MAX_FILE_BYTES} bytes")
                skipped += 1
                continue
            searched += 1
            if _search(path, rel, regex, out):
                full = True
                break
        where = relative(ctx.project_root, top)
        data = {
            "matches": len(out),
            "complete": not full,
            "files_searched": searched,
            "files_skipped": skipped,
        }
        if not out:
            return ToolResult.ok(
                f"No matches for {regex.pattern!r} in {where} ({searched} files searched).", data=data
            )
        if full:
            out.append(f"[stopped at {MAX_MATCHES} matches; narrow the pattern or the path]")
        return ToolResult.ok("\n".join(out), data=data)
