"""`filesystem.glob`: project-relative paths matching a glob pattern such as `src/**/*.py`.

Scope: patterns relative to the root (`**` spans directories, `*` stays within a name), sorted results,
directories marked with "/", `.git` and junk directories (`walk.JUNK_DIRS`) skipped unless the pattern
starts inside one, symlinked directories not entered, at most `MAX_RESULTS`. Non-goals: brace expansion,
`.gitignore`.
"""

from __future__ import annotations

from typing import Any

from entropi.agent.tools.base import ToolBase, ToolContext, ToolError, ToolResult, check_cancel
from entropi.agent.tools.paths import relative, resolve_in_root
from entropi.agent.tools.walk import glob_regex, split_literal_prefix, walk_tree

MAX_RESULTS = 500


def checked_pattern(pattern: Any, what: str = "pattern") -> str:
    """A glob that stays inside the root: no absolute, `~` or `..` parts."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ToolError("invalid_arguments", f"{what} is empty")
    pattern = pattern.strip().removeprefix("./")
    if pattern.startswith(("/", "~")):
        raise ToolError("outside_root", f"{what} {pattern!r} must be relative to the project root")
    if ".." in pattern.split("/"):
        raise ToolError("outside_root", f"{what} {pattern!r} may not contain '..'")
    return pattern


class GlobTool(ToolBase):
    name = "filesystem.glob"
    mutates = False

    def subject(self, args: dict[str, Any]) -> str:
        pattern = args.get("pattern")
        return pattern if isinstance(pattern, str) else ""

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        pattern = checked_pattern(args.get("pattern"))
        prefix, rest = split_literal_prefix(pattern)
        top = resolve_in_root(ctx.project_root, prefix or ".")
        found: list[str] = []
        if top.is_dir():
            base = relative(ctx.project_root, top)
            lead = "" if base == "." else base + "/"
            regex = glob_regex(rest)
            depth = None if "**" in rest else rest.count("/") + 1
            for count, (sub, _, is_dir) in enumerate(walk_tree(top, depth)):
                if count % 1000 == 0:
                    check_cancel(ctx)
                if regex.match(sub):
                    found.append(lead + sub + ("/" if is_dir else ""))
        found.sort()
        if not found:
            hint = ""
            if "/" not in pattern and "**" not in pattern:
                hint = f"; only the top level was searched, use **/{pattern} to search subdirectories"
            return ToolResult.ok(f"No paths match {pattern}{hint}.", data={"count": 0})
        lines = found[:MAX_RESULTS]
        if len(found) > MAX_RESULTS:
            lines.append(f"[… {len(found) - MAX_RESULTS} more matches not shown; narrow the pattern]")
        return ToolResult.ok("\n".join(lines), data={"count": len(found)})
