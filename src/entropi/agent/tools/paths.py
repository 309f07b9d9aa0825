"""Confining model-given paths to the project root.

Scope: `resolve_in_root` turns a path the model wrote into an absolute path that provably lies inside the
project root (after following every symlink), or raises `ToolError`; `relative` renders a path back for the
model; `refuse_git_dir` guards the write tools. Non-goals: defending against another process swapping a
directory for a symlink between the check and the use (the agent is not racing an attacker on its own disk).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from entropi.agent.tools.base import ToolError

MAX_PATH_CHARS = 1024
MAX_NAME_BYTES = 255


def _check_text(user_path: str) -> None:
    if not user_path.strip():
        raise ToolError("invalid_path", "path is empty; give a path relative to the project root")
    if "\x00" in user_path:
        raise ToolError("invalid_path", "path contains a NUL byte")
    if len(user_path) > MAX_PATH_CHARS:
        raise ToolError("invalid_path", f"path is {len(user_path)} characters long (limit {MAX_PATH_CHARS})")
    if "\\" in user_path:
        raise ToolError("invalid_path", f"path {user_path!r} contains a backslash; use / as the separator")
    bad = [ch for ch in user_path if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")]
    if bad:
        raise ToolError("invalid_path", f"path contains control or invisible characters ({bad[0]!a})")


def _check_parts(user_path: str) -> None:
    if user_path.startswith("/"):
        raise ToolError(
            "outside_root", f"absolute path {user_path!r} refused; give a path relative to the project root"
        )
    if user_path.startswith("~"):
        raise ToolError("outside_root", f"home-relative path {user_path!r} refused; use a project path")
    for part in user_path.split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            raise ToolError("invalid_path", f"a path component is longer than {MAX_NAME_BYTES} bytes")
        folded = unicodedata.normalize("NFKC", part)
        if part != folded and (folded in (".", "..") or "/" in folded):
            raise ToolError("invalid_path", f"path component {part!r} imitates {folded!r}")
    if os.path.normpath(user_path).split("/")[0] == "..":
        raise ToolError("outside_root", f"path {user_path!r} leads outside the project root")


def resolve_in_root(root: Path, user_path: str) -> Path:
    """The absolute, symlink-free path of `user_path` inside `root`; ToolError when it is not inside.

    The path need not exist. Codes: "invalid_path" (empty, NUL, too long, backslashes, control characters,
    look-alike dots, symlink loops), "outside_root" (absolute, `~`, `..` escapes, symlinks leading out).
    """
    _check_text(user_path)
    _check_parts(user_path)
    real_root = root.resolve()
    try:
        resolved = (real_root / user_path).resolve()
    except RuntimeError as exc:  # pathlib reports a symlink loop this way
        raise ToolError("invalid_path", f"path {user_path!r} is a symlink loop") from exc
    if resolved != real_root and not resolved.is_relative_to(real_root):
        raise ToolError("outside_root", f"path {user_path!r} resolves outside the project root (symlink)")
    return resolved


def relative(root: Path, path: Path) -> str:
    """`path` relative to the (resolved) root, with `/` separators; "." for the root itself."""
    rel = path.relative_to(root.resolve()).as_posix()
    return rel or "."


def refuse_git_dir(root: Path, path: Path) -> None:
    """The write tools never write inside a `.git` directory (the root's or a nested one)."""
    parts = path.relative_to(root.resolve()).parts
    if any(part.casefold() == ".git" for part in parts):
        raise ToolError("protected_path", f"writing inside .git/ is refused ({relative(root, path)})")


def is_inside(root: Path, path: Path) -> bool:
    """Whether `path` (symlinks followed) lies inside the resolved `root`."""
    real_root = root.resolve()
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return False
    return resolved == real_root or resolved.is_relative_to(real_root)
