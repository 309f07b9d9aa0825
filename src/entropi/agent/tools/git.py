"""The git tools: `git.status`, `git.diff`, `git.log`, `git.add`, `git.commit`.

Scope: git runs as an argument list (never a shell) in the project root with `core.pager=cat`, no colour,
literal pathspecs, English messages, no terminal prompts, and `GIT_CEILING_DIRECTORIES` set so that only a
repository at the root itself is used (a project inside someone else's repository is "not_a_repo", so a
commit never reaches outside the project). Every path argument is confined to the root.
Non-goals: branches, remotes, history rewriting; bypassing the repository's hooks.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

from entropi.agent.tools.base import ToolBase, ToolContext, ToolError, ToolResult
from entropi.agent.tools.paths import refuse_git_dir, resolve_in_root

# Environment that would point git at another repository, index or object store.
_LOCATION_VARS = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)  # fmt: skip
MAX_LOG_COUNT = 200
_NOTHING_MARKERS = ("nothing to commit", "nothing added to commit", "no changes added to commit")


def run_git(ctx: ToolContext, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one git command in the root; ToolError for a missing git, a timeout
    or a root that is not a repository."""
    root = ctx.project_root.resolve()
    env = {key: value for key, value in os.environ.items() if key not in _LOCATION_VARS}
    env.update(
        GIT_CEILING_DIRECTORIES=str(root.parent), LC_ALL="C", GIT_TERMINAL_PROMPT="0",
        GIT_PAGER="cat", GIT_EDITOR="true",
    )  # fmt: skip
    command = ["git", "-c", "core.pager=cat", "-c", "color.ui=false", "--literal-pathspecs", *args]
    timeout = ctx.config.bash_timeout_s
    try:
        done = subprocess.run(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout
        )
    except FileNotFoundError as exc:
        raise ToolError("git_missing", "git is not installed or not on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError("timeout", f"git {args[0]} did not finish within {timeout:g} s") from exc
    out = done.stdout.decode("utf-8", "replace")
    err = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0 and "not a git repository" in err.lower():
        raise ToolError("not_a_repo", "the project root is not a git repository (git init creates one)")
    return done.returncode, out, err


def _failure(args: tuple[str, ...], out: str, err: str) -> ToolError:
    lines = [line for line in (err or out).strip().splitlines() if line.strip()][:6]
    return ToolError("git_error", f"git {args[0]} failed: " + " / ".join(lines or ["no message"]))


def git_ok(ctx: ToolContext, *args: str) -> str:
    """stdout of a git command that must succeed; ToolError "git_error" with git's message otherwise."""
    code, out, err = run_git(ctx, *args)
    if code != 0:
        raise _failure(args, out, err)
    return out


def git_path(ctx: ToolContext, user_path: Any) -> str:
    """A path argument for git: confined to the root, normalised, the link itself for a symlink."""
    if not isinstance(user_path, str):
        raise ToolError("invalid_arguments", "paths must be strings")
    resolve_in_root(ctx.project_root, user_path)
    return os.path.normpath(user_path)


class GitStatusTool(ToolBase):
    name = "git.status"
    mutates = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        out = git_ok(ctx, "status", "--short", "--branch").rstrip("\n")
        if len(out.splitlines()) <= 1:
            out += "\n(working tree clean)"
        return ToolResult.ok(out)


class GitDiffTool(ToolBase):
    name = "git.diff"
    mutates = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        staged = args.get("staged", False)
        if not isinstance(staged, bool):
            raise ToolError("invalid_arguments", "staged must be true or false")
        command = ["diff", "--no-ext-diff"] + (["--cached"] if staged else [])
        path = git_path(ctx, args["path"]) if args.get("path") is not None else None
        if path is not None:
            command += ["--", path]
        out = git_ok(ctx, *command)
        if not out.strip():
            kind = "staged" if staged else "unstaged"
            where = f" under {path}" if path else ""
            extra = "" if staged else " (untracked files are not diffed; see git.status)"
            return ToolResult.ok(f"No {kind} changes{where}{extra}.")
        return ToolResult.ok(out.rstrip("\n"))


class GitLogTool(ToolBase):
    name = "git.log"
    mutates = False

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        count = args.get("max_count", 10)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ToolError("invalid_arguments", "max_count must be a positive integer")
        command = [
            "log",
            f"--max-count={min(count, MAX_LOG_COUNT)}",
            "--date=short",
            "--format=%h %ad %an: %s",
        ]
        path = git_path(ctx, args["path"]) if args.get("path") is not None else None
        if path is not None:
            command += ["--", path]
        code, out, err = run_git(ctx, *command)
        if code != 0 and "does not have any commits yet" in err:
            return ToolResult.ok("No commits yet.")
        if code != 0:
            raise _failure(tuple(command), out, err)
        if not out.strip():
            return ToolResult.ok(f"No commits touch {path}." if path else "No commits yet.")
        return ToolResult.ok(out.rstrip("\n"))


class GitAddTool(ToolBase):
    name = "git.add"
    mutates = True

    def subject(self, args: dict[str, Any]) -> str:
        paths = args.get("paths")
        return " ".join(p for p in paths if isinstance(p, str)) if isinstance(paths, list) else ""

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        paths = args.get("paths")
        if not isinstance(paths, list) or not paths:
            raise ToolError("invalid_arguments", "paths must be a non-empty list")
        for user_path in paths:
            if isinstance(user_path, str):
                refuse_git_dir(ctx.project_root, resolve_in_root(ctx.project_root, user_path))
        rels = [git_path(ctx, p) for p in paths]
        code, out, err = run_git(ctx, "add", "--", *rels)
        if code != 0 and "did not match any files" in err:
            raise ToolError("not_found", f"git add: {err.strip().splitlines()[0]}")
        if code != 0:
            raise _failure(("add",), out, err)
        status = git_ok(ctx, "status", "--short", "--", *rels).rstrip("\n")
        return ToolResult.ok(f"Staged {', '.join(rels)}\n{status}".rstrip("\n"), data={"paths": rels})


class GitCommitTool(ToolBase):
    name = "git.commit"
    mutates = True

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        message = args.get("message")
        if not isinstance(message, str) or not message.strip():
            raise ToolError("invalid_arguments", "the commit message is empty")
        code, out, err = run_git(ctx, "commit", "-m", message.strip())
        if code != 0 and any(marker in out for marker in _NOTHING_MARKERS):
            raise ToolError("nothing_to_commit", "nothing is staged; stage changes with git.add first")
        if code != 0:
            raise _failure(("commit",), out, err)
        sha = git_ok(ctx, "rev-parse", "HEAD").strip()
        return ToolResult.ok(out.rstrip("\n"), data={"commit": sha})
