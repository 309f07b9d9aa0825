"""Walking the project tree and matching globs, shared by filesystem.glob and filesystem.grep.

Scope: `walk_tree` (sorted, never follows symlinked directories, skips `.git` and common junk
directories below the starting directory) and `glob_regex` (`**`, `*`, `?`, `[...]` over `/`-separated
paths; Python 3.11's `fnmatch` lets `*` cross `/` and has no `**`).
Non-goals: brace expansion `{a,b}`, `.gitignore` rules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

JUNK_DIRS = frozenset(
    {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
     ".tox", ".entropi"}
)  # fmt: skip
MAGIC = re.compile(r"[*?\[]")


def _bracket(pattern: str, i: int) -> tuple[str, int] | None:
    """The regex class for a `[...]` starting at `i`, and the index after it; None if unclosed."""
    end = pattern.find("]", i + 2)
    if end == -1:
        return None
    body = pattern[i + 1 : end].replace("\\", "\\\\")
    if body.startswith("!"):
        body = "^" + body[1:]
    elif body.startswith("^"):
        body = "\\" + body
    return f"[{body}]", end + 1


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex matching whole `/`-paths: `**/` is any number of directories, `*` and `?` stay in one name."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if pattern.startswith("**", i) and (i == 0 or pattern[i - 1] == "/"):
            if pattern.startswith("/", i + 2):
                out.append("(?:[^/]+/)*")
                i += 3
                continue
            if i + 2 == n:
                out.append(".*")
                i += 2
                continue
        if ch == "*":
            out.append("[^/]*")
            while i < n and pattern[i] == "*":
                i += 1
            continue
        if ch == "?":
            out.append("[^/]")
        elif ch == "[" and (found := _bracket(pattern, i)):
            out.append(found[0])
            i = found[1]
            continue
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def split_literal_prefix(pattern: str) -> tuple[str, str]:
    """("src/pkg", "**/*.py") for "src/pkg/**/*.py": the leading directories without glob characters."""
    parts = pattern.split("/")
    literal: list[str] = []
    for part in parts[:-1]:
        if MAGIC.search(part):
            break
        literal.append(part)
    return "/".join(literal), "/".join(parts[len(literal) :])


def walk_tree(top: Path, max_depth: int | None = None) -> Iterator[tuple[str, Path, bool]]:
    """(path relative to `top`, absolute path, is_dir) for every entry below `top`, in sorted order.

    Symlinked directories are listed as non-directories and not entered; junk directories below `top`
    are neither; `max_depth` 1 lists only `top`'s own entries. Unreadable directories are skipped.
    """
    for dirpath, dirnames, filenames in os.walk(top):
        base = Path(dirpath)
        rel_dir = base.relative_to(top).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        depth = 0 if rel_dir == "." else rel_dir.count("/") + 1
        dirnames[:] = sorted(d for d in dirnames if d not in JUNK_DIRS)
        entries = [(d, not (base / d).is_symlink()) for d in dirnames] + [(f, False) for f in filenames]
        for name, is_dir in sorted(entries):
            yield prefix + name, base / name, is_dir
        if max_depth is not None and depth + 1 >= max_depth:
            dirnames[:] = []
