"""`filesystem.read_file`: a text file, whole or a 1-based inclusive line range, with line numbers.

Scope: size cap (`read_max_bytes`; a line range streams the file instead and stops at the cap), binary
refusal, lossy decoding of non-UTF-8 text with a note, recording the read for read-before-write.
Non-goals: images or other binary formats; encodings other than UTF-8.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from entropi.agent.tools.base import PathSubjectMixin, ToolBase, ToolContext, ToolError, ToolResult
from entropi.agent.tools.files import SNIFF_BYTES, looks_binary
from entropi.agent.tools.paths import relative, resolve_in_root

NOT_UTF8_NOTE = "[note: the file is not valid UTF-8; undecodable bytes are shown as �]"


def number_lines(lines: list[str], first: int) -> str:
    """`   12│ text` lines, numbered from `first`."""
    return "\n".join(f"{first + i:>5}│ {line}" for i, line in enumerate(lines))


def split_lines(text: str) -> list[str]:
    """Lines split on "\\n" only (like editors and grep number them), without a trailing empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def existing_file(root: Path, user_path: str) -> Path:
    """The resolved path of an existing regular file; "not_found" (with near names), "is_directory"..."""
    path = resolve_in_root(root, user_path)
    if path.is_dir():
        raise ToolError("is_directory", f"{user_path} is a directory; use filesystem.list_directory")
    if path.exists() and not path.is_file():
        raise ToolError("not_a_file", f"{user_path} is not a regular file")
    if not path.is_file():
        hint = ""
        if path.parent.is_dir():
            names = [p.name for p in path.parent.iterdir()]
            close = difflib.get_close_matches(path.name, names, n=3)
            if close:
                hint = " Did you mean: " + ", ".join(close) + "?"
        raise ToolError("not_found", f"no file {user_path}.{hint}")
    return path


def _read_range(path: Path, start: int, end: int | None, cap: int) -> tuple[list[str], bool, bool]:
    """Lines start..end (inclusive), whether any line was not UTF-8, whether the byte cap cut it short."""
    lines: list[str] = []
    lossy = capped = False
    taken = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if end is not None and number > end:
                break
            if number < start:
                continue
            taken += len(raw)
            if taken > cap:
                capped = True
                if lines:
                    break
                raw = raw[:cap]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line, lossy = raw.decode("utf-8", "replace"), True
            lines.append(line.removesuffix("\n").removesuffix("\r"))
            if capped:
                break
    return lines, lossy, capped


class ReadFileTool(PathSubjectMixin, ToolBase):
    name = "filesystem.read_file"
    mutates = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        path = existing_file(ctx.project_root, args.get("path", ""))
        rel = relative(ctx.project_root, path)
        start, end = args.get("start_line"), args.get("end_line")
        for value in (start, end):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ToolError("invalid_arguments", "start_line and end_line are 1-based line numbers")
        if start is not None and end is not None and start > end:
            raise ToolError("invalid_arguments", f"start_line {start} is after end_line {end}")
        with path.open("rb") as f:
            if looks_binary(f.read(SNIFF_BYTES)):
                raise ToolError("binary_file", f"{rel} is a binary file; it cannot be shown as text")
        cap = ctx.config.read_max_bytes
        notes: list[str] = []
        if start is None and end is None:
            size = path.stat().st_size
            if size > cap:
                raise ToolError(
                    "too_large",
                    f"{rel} is {size} bytes (limit {cap}); read a part of it with start_line and end_line",
                )
            data = path.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("utf-8", "replace")
                notes.append(NOT_UTF8_NOTE)
            lines, first = split_lines(text), 1
        else:
            first = start or 1
            lines, lossy, capped = _read_range(path, first, end, cap)
            if not lines and first > 1:
                raise ToolError("out_of_range", f"{rel} has fewer than {first} lines")
            if lossy:
                notes.append(NOT_UTF8_NOTE)
            if capped:
                last = first + len(lines) - 1
                notes.append(f"[stopped at line {last}: the {cap}-byte read limit; go on with start_line]")
        ctx.files.record_read(path)
        body = number_lines(lines, first) if lines else "(empty file)"
        content = "\n".join([body, *notes])
        return ToolResult.ok(content, data={"path": rel, "first_line": first, "line_count": len(lines)})
