"""The git tools on real repositories in tmp_path."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tools_support import call, make_ctx


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test User")
    git(path, "config", "user.email", "test@example.com")
    git(path, "config", "commit.gpgsign", "false")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "repo")
    (repo / "a.txt").write_text("one\n")
    (repo / "b.txt").write_text("bee\n")
    git(repo, "add", "a.txt", "b.txt")
    git(repo, "commit", "-q", "-m", "First commit")
    return repo


def test_not_a_repo(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    for name, args in [
        ("git.status", {}),
        ("git.diff", {}),
        ("git.log", {}),
        ("git.commit", {"message": "m"}),
    ]:
        result = call(ctx, name, **args)
        assert (result.status, result.error_code) == ("error", "not_a_repo"), name


def test_project_inside_another_repo_is_not_a_repo(repo: Path) -> None:
    (repo / "inner").mkdir()
    assert call(make_ctx(repo / "inner"), "git.status").error_code == "not_a_repo"


def test_status_clean_and_dirty(repo: Path) -> None:
    ctx = make_ctx(repo)
    assert call(ctx, "git.status").content == "## main\n(working tree clean)"
    (repo / "a.txt").write_text("two\n")
    (repo / "new.txt").write_text("n\n")
    assert call(ctx, "git.status").content == "## main\n M a.txt\n?? new.txt"


def test_status_ignores_git_dir_from_environment(repo: Path, tmp_path: Path, monkeypatch) -> None:
    other = init_repo(tmp_path / "other")
    (other / "stray.txt").write_text("x\n")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert call(make_ctx(repo), "git.status").content == "## main\n(working tree clean)"


def test_diff_unstaged_staged_and_path(repo: Path) -> None:
    ctx = make_ctx(repo)
    assert (
        call(ctx, "git.diff").content
        == "No unstaged changes (untracked files are not diffed; see git.status)."
    )
    (repo / "a.txt").write_text("two\n")
    (repo / "b.txt").write_text("bees\n")
    diff = call(ctx, "git.diff").content
    assert "-one\n+two" in diff and "-bee\n+bees" in diff
    only_a = call(ctx, "git.diff", path="a.txt").content
    assert "+two" in only_a and "bees" not in only_a
    assert call(ctx, "git.diff", staged=True).content == "No staged changes."
    git(repo, "add", "a.txt")
    assert "+two" in call(ctx, "git.diff", staged=True).content
    assert call(ctx, "git.diff", path="a.txt").content.startswith("No unstaged changes under a.txt")


def test_log(repo: Path) -> None:
    ctx = make_ctx(repo)
    (repo / "a.txt").write_text("two\n")
    git(repo, "commit", "-q", "-am", "Second commit")
    lines = call(ctx, "git.log").content.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(" Test User: Second commit") and lines[1].endswith(" Test User: First commit")
    assert len(call(ctx, "git.log", max_count=1).content.splitlines()) == 1
    assert len(call(ctx, "git.log", path="b.txt").content.splitlines()) == 1
    assert call(ctx, "git.log", path="zzz.txt").content == "No commits touch zzz.txt."


def test_log_of_an_empty_repo(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "empty")
    assert call(make_ctx(repo), "git.log").content == "No commits yet."


def test_add_and_commit(repo: Path) -> None:
    ctx = make_ctx(repo)
    (repo / "a.txt").write_text("two\n")
    (repo / "c d.txt").write_text("spaced\n")
    added = call(ctx, "git.add", paths=["a.txt", "./c d.txt"])
    assert added.status == "ok", added.content
    assert added.content == 'Staged a.txt, c d.txt\nM  a.txt\nA  "c d.txt"'
    committed = call(ctx, "git.commit", message="Change a, add c d\n")
    assert committed.status == "ok", committed.content
    assert committed.content.startswith("[main ") and "Change a, add c d" in committed.content
    assert committed.data["commit"] == git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "log", "-1", "--format=%s").strip() == "Change a, add c d"


def test_add_errors(repo: Path) -> None:
    ctx = make_ctx(repo)
    assert call(ctx, "git.add", paths=["missing.txt"]).error_code == "not_found"
    assert call(ctx, "git.add", paths=[".git/config"]).error_code == "protected_path"
    assert call(ctx, "git.add", paths=["../x"]).error_code == "outside_root"
    assert call(ctx, "git.add", paths=["*.txt"]).error_code == "not_found"  # pathspecs are literal
    assert git(repo, "diff", "--cached", "--name-only") == ""


def test_commit_with_nothing_staged(repo: Path) -> None:
    ctx = make_ctx(repo)
    assert call(ctx, "git.commit", message="empty").error_code == "nothing_to_commit"
    (repo / "a.txt").write_text("unstaged\n")
    assert call(ctx, "git.commit", message="empty").error_code == "nothing_to_commit"
    (repo / "untracked.txt").write_text("u\n")
    git(repo, "stash", "-q")
    assert call(ctx, "git.commit", message="empty").error_code == "nothing_to_commit"
    assert call(ctx, "git.commit", message="   ").error_code == "invalid_arguments"


def test_commit_failure_reports_git_message(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    (repo / "a.txt").write_text("two\n")
    git(repo, "add", "a.txt")
    result = call(make_ctx(repo), "git.commit", message="blocked")
    assert (result.error_code, result.content) == ("git_error", "git commit failed: hook says no")


def test_git_subjects_and_mutates() -> None:
    from tools_support import REGISTRY

    add = REGISTRY.get("git.add")
    assert add is not None and add.subject({"paths": ["a.py", "b.py"]}) == "a.py b.py" and add.mutates
    for name in ("git.status", "git.diff", "git.log"):
        tool = REGISTRY.get(name)
        assert tool is not None and tool.subject({"path": "x"}) == "" and not tool.mutates
