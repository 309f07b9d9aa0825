"""Throwaway git repos for suite tasks, and scoring their end state.

`materialize` writes a task's fixture files, runs `git init` with a repo-local identity (the user's global
and system git config are never read), commits "initial" at a fixed date and applies the setup steps.
`check` runs every check of the task's checker (all must pass) and reports each failure; it never raises.
Non-goals: loading or validating task files (`suite.py`), running the agent.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from entropi.tasks.suite import Check, FileText, Task

GIT_NAME = "entropi tasks"
GIT_EMAIL = "tasks@entropi.invalid"
_EPOCH = 1_700_000_000  # fixed commit dates keep fixture commit ids reproducible
# Repo-local settings; later git calls (the agent's git tools) read these too, so the user's global
# signing, hooks or line-ending settings cannot leak into a task.
_LOCAL_CONFIG = (
    ("user.name", GIT_NAME),
    ("user.email", GIT_EMAIL),
    ("commit.gpgsign", "false"),
    ("tag.gpgsign", "false"),
    ("core.hooksPath", ".git/hooks"),
    ("core.autocrlf", "false"),
)
_EXCLUDES = "__pycache__/\n*.pyc\n.pytest_cache/\n.entropi/\n"
_TAIL_CHARS = 400
_SHOWN_CHARS = 60


class TaskError(ValueError):
    """A task file or task directory is invalid, or a task repo could not be built."""


@dataclass(frozen=True)
class CheckResult:
    """Whether every check passed; `detail` names each failure (or says all passed)."""

    passed: bool
    detail: str


def clean_env() -> dict[str, str]:
    """The environment for git and checker commands: no inherited GIT_* or Python path settings."""
    dropped = ("PYTHONPATH", "PYTHONSAFEPATH", "PYTHONSTARTUP")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in dropped}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTEST_ADDOPTS="-p no:cacheprovider",
    )
    return env


def _git(root: Path, *args: str, commit_index: int = 0) -> str:
    env = clean_env()
    env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{_EPOCH + 60 * commit_index} +0000"
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False
        )
    except FileNotFoundError as exc:
        raise TaskError("git is not installed (needed to build task repos)") from exc
    except subprocess.TimeoutExpired as exc:
        raise TaskError(f"git {args[0]} timed out in {root}") from exc
    if proc.returncode != 0:
        raise TaskError(
            f"git {shlex.join(args)} failed in {root}: {proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc.stdout


def _write(root: Path, rel: str, content: str) -> None:
    target = root / rel
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8"))
    except OSError as exc:
        raise TaskError(f"cannot write {rel} in {root}: {exc}") from exc


def materialize(task: Task, dest: Path) -> Path:
    """Build `task`'s repo at `dest`, which must be absent or an empty directory; return its resolved path."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise TaskError(f"{dest}: must be absent or an empty directory")
    dest.mkdir(parents=True, exist_ok=True)
    for rel, content in sorted(task.files.items()):
        _write(dest, rel, content)
    _git(dest, "init", "-q", "-b", "main")
    for key, value in _LOCAL_CONFIG:
        _git(dest, "config", key, value)
    info = dest / ".git" / "info"
    info.mkdir(exist_ok=True)  # absent when git has no template directory
    with (info / "exclude").open("a", encoding="utf-8") as excludes:
        excludes.write(_EXCLUDES)
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "initial")
    commits = 0
    for number, step in enumerate(task.setup, 1):
        if step.write is not None:
            _write(dest, step.write.path, step.write.content)
        elif step.delete is not None:
            target = dest / step.delete
            if not target.is_file():
                raise TaskError(f"task {task.id}: setup step {number}: no file {step.delete} to delete")
            target.unlink()
        elif step.stage is not None:
            _git(dest, "add", "--", *step.stage)
        elif step.commit is not None:
            commits += 1
            _git(dest, "commit", "-q", "-m", step.commit, commit_index=commits)
    return dest.resolve()


def check(
    task: Task,
    repo: Path,
    final_answer: str,
    todos: Sequence[Mapping[str, Any]] | None = None,
    *,
    command_timeout_s: float = 60.0,
) -> CheckResult:
    """Run all of `task`'s checks against `repo`, the final answer and the final todo items; never raises."""
    repo = Path(repo)
    if not repo.is_dir():
        return CheckResult(False, f"repo {repo} is not a directory")
    state = _State(repo, final_answer if isinstance(final_answer, str) else "", todos, command_timeout_s)
    failures = []
    for item in task.checker:
        kind, spec = _kind_of(item)
        try:
            problem = _CHECKS[kind](spec, state)
        except Exception as exc:  # a broken repo or odd file must score as a failure, not crash the run
            problem = f"error: {type(exc).__name__}: {exc}"
        if problem:
            failures.append(f"{kind}: {problem}")
    if not failures:
        return CheckResult(True, f"all {len(task.checker)} checks passed")
    lines = "\n".join(f"- {failure}" for failure in failures)
    return CheckResult(False, f"{len(failures)} of {len(task.checker)} checks failed:\n{lines}")


@dataclass(frozen=True)
class _State:
    repo: Path
    answer: str
    todos: Sequence[Mapping[str, Any]] | None
    timeout_s: float


def _kind_of(item: Check) -> tuple[str, Any]:
    return next(
        (name, getattr(item, name)) for name in type(item).model_fields if getattr(item, name) is not None
    )


def _answer_contains(entries: list[str | list[str]], state: _State) -> str | None:
    answer = " ".join(state.answer.split()).casefold()
    missing = []
    for entry in entries:
        options = [entry] if isinstance(entry, str) else entry
        if not any(" ".join(option.split()).casefold() in answer for option in options):
            missing.append(" or ".join(repr(option) for option in options))
    return f"the answer lacks {', '.join(missing)}" if missing else None


def _read(state: _State, rel: str) -> str | None:
    path = state.repo / rel
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None


def _file_contains(spec: FileText, state: _State) -> str | None:
    text = _read(state, spec.path)
    if text is None:
        return f"{spec.path} does not exist"
    return None if spec.text in text else f"{spec.path} lacks {spec.text!r}"


def _file_not_contains(spec: FileText, state: _State) -> str | None:
    text = _read(state, spec.path)
    return f"{spec.path} still contains {spec.text!r}" if text is not None and spec.text in text else None


def _run(argv: list[str], state: _State) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=state.repo,
        env=clean_env(),
        capture_output=True,
        text=True,
        errors="replace",
        timeout=state.timeout_s,
        check=False,
    )


def _command_succeeds(argv: list[str], state: _State) -> str | None:
    shown = shlex.join(argv)
    if len(shown) > _SHOWN_CHARS or "\n" in shown:
        shown = shown.splitlines()[0][:_SHOWN_CHARS] + " …"
    resolved = [sys.executable, *argv[1:]] if argv[0] == "python" else list(argv)
    try:
        proc = _run(resolved, state)
    except FileNotFoundError:
        return f"`{shown}`: command not found: {argv[0]}"
    except subprocess.TimeoutExpired:
        return f"`{shown}` timed out after {state.timeout_s:g} s"
    if proc.returncode == 0:
        return None
    tail = " ".join((proc.stdout + proc.stderr).split())[-_TAIL_CHARS:]
    return f"`{shown}` exited {proc.returncode}: {tail}"


def _git_last_commit_matches(pattern: str, state: _State) -> str | None:
    proc = _run(["git", "log", "-1", "--format=%B"], state)
    if proc.returncode != 0:
        return f"cannot read the last commit: {proc.stderr.strip()}"
    message = proc.stdout.strip()
    return (
        None
        if re.search(pattern, message, re.MULTILINE)
        else f"last commit {message!r} does not match {pattern!r}"
    )


def _todos_at_least(count: int, state: _State) -> str | None:
    if state.todos is None:
        return "no todo list was given"
    items = sum(1 for t in state.todos if isinstance(t, Mapping) and str(t.get("content") or "").strip())
    return None if items >= count else f"{items} todo items with content, need at least {count}"


_CHECKS: dict[str, Callable[[Any, _State], str | None]] = {
    "answer_contains": _answer_contains,
    "file_contains": _file_contains,
    "file_not_contains": _file_not_contains,
    "command_succeeds": _command_succeeds,
    "git_last_commit_matches": _git_last_commit_matches,
    "todos_at_least": _todos_at_least,
}
