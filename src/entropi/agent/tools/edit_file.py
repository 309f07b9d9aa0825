"""`filesystem.edit_file`: replace one exact, unique snippet of a file.

Scope: the match must occur exactly once ("no_match" names the closest line, "multiple_matches" lists where);
a file with CRLF line endings also matches an old_string written with "\\n"; bytes that are not UTF-8 survive
the edit unchanged; nothing is written on any error; the result shows the edited lines with context.
Non-goals: fuzzy or whitespace-insensitive matching (the hint says what was close instead).
"""

from __future__ import annotations

import difflib
from typing import Any

from entropi.agent.tools.base import PathSubjectMixin, ToolBase, ToolContext, ToolError, ToolResult
from entropi.agent.tools.files import atomic_write_bytes, looks_binary
from entropi.agent.tools.paths import refuse_git_dir, relative
from entropi.agent.tools.read_file import existing_file, number_lines, split_lines

CONTEXT_LINES = 3
HINT_SCAN_LINES = 20_000
LISTED_MATCHES = 10


def _occurrences(text: str, needle: str) -> list[int]:
    """Start offsets of every occurrence, overlapping ones included."""
    found: list[int] = []
    at = text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _closest_line_hint(text: str, old: str) -> str:
    target = next((line.strip() for line in old.split("\n") if line.strip()), "")
    lines = split_lines(text)[:HINT_SCAN_LINES]
    stripped = [line.strip() for line in lines]
    close = difflib.get_close_matches(target, stripped, n=1, cutoff=0.5) if target else []
    if not close:
        return " No line is close to it; read the file again."
    number = stripped.index(close[0]) + 1
    closest = lines[number - 1].strip()
    return f" Closest line {number}: {closest!r}. Copy the text exactly, whitespace included."


def _strings(args: dict[str, Any]) -> tuple[str, str]:
    old, new = args.get("old_string"), args.get("new_string")
    if not isinstance(old, str) or not isinstance(new, str):
        raise ToolError("invalid_arguments", "old_string and new_string must be strings")
    if not old:
        raise ToolError("invalid_arguments", "old_string is empty; use filesystem.write_file for new files")
    if old == new:
        raise ToolError("invalid_arguments", "old_string and new_string are the same; nothing would change")
    try:
        old.encode("utf-8"), new.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ToolError("invalid_arguments", "old_string or new_string has unpaired surrogates") from exc
    return old, new


class EditFileTool(PathSubjectMixin, ToolBase):
    name = "filesystem.edit_file"
    mutates = True

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        old, new = _strings(args)
        path = existing_file(ctx.project_root, args.get("path", ""))
        refuse_git_dir(ctx.project_root, path)
        rel = relative(ctx.project_root, path)
        data = path.read_bytes()
        if looks_binary(data):
            raise ToolError("binary_file", f"{rel} is a binary file; it cannot be edited as text")
        ctx.files.check_writable(path)
        text = data.decode("utf-8", "surrogateescape")
        hits = _occurrences(text, old)
        if not hits and "\r\n" in text and "\n" in old and "\r\n" not in old:
            hits = _occurrences(text, old.replace("\n", "\r\n"))
            if hits:
                old, new = old.replace("\n", "\r\n"), new.replace("\r\n", "\n").replace("\n", "\r\n")
        if not hits:
            raise ToolError("no_match", f"old_string was not found in {rel}." + _closest_line_hint(text, old))
        if len(hits) > 1:
            lines = ", ".join(str(_line_of(text, at)) for at in hits[:LISTED_MATCHES])
            more = ", …" if len(hits) > LISTED_MATCHES else ""
            raise ToolError(
                "multiple_matches",
                f"old_string occurs {len(hits)} times in {rel} (lines {lines}{more}); "
                "include more surrounding text so it matches once",
            )
        at = hits[0]
        updated = text[:at] + new + text[at + len(old) :]
        atomic_write_bytes(path, updated.encode("utf-8", "surrogateescape"))
        ctx.files.record_write(path)
        first = _line_of(updated, at)
        last = _line_of(updated, at + max(len(new.rstrip("\n")), 1) - 1) if new else first
        shown = split_lines(updated.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        lo, hi = max(first - CONTEXT_LINES, 1), min(last + CONTEXT_LINES, len(shown))
        snippet = number_lines(shown[lo - 1 : hi], lo) if shown else "(the file is now empty)"
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        return ToolResult.ok(
            f"Edited {rel} ({where}):\n{snippet}",
            data={"path": rel, "first_line": first, "last_line": last},
            changed_files=[rel],
        )
