"""Path confinement: every escape attempt is refused by every filesystem tool, nothing outside is touched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tools_support import call, call_raw, make_ctx

from entropi.agent.tools import ToolError, resolve_in_root
from entropi.agent.tools.paths import refuse_git_dir, relative

SECRET = "TOPSECRET-4242"


@pytest.fixture
def world(tmp_path: Path) -> tuple[Path, Path]:
    """A project and, beside it, an `outside` directory reachable through symlinks of many kinds."""
    root, outside = tmp_path / "proj", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    (root / "sub").mkdir()
    (root / "ok.txt").write_text("fine\n")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]\n")
    os.symlink("/etc", root / "etc_link")
    os.symlink(outside, root / "out_link")
    os.symlink(outside / "secret.txt", root / "secret_link")
    os.symlink(outside / "new.txt", root / "dangling")
    os.symlink("../../outside", root / "sub" / "up_link")
    os.symlink("loop_b", root / "loop_a")
    os.symlink("loop_a", root / "loop_b")
    os.symlink(".git", root / "git_link")
    return root, outside


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


ESCAPES = [
    "../outside/secret.txt",
    "/etc/passwd",
    "a/../../outside/secret.txt",
    "./../outside/secret.txt",
    "sub/../../outside/secret.txt",
    "..",
    "etc_link/passwd",
    "etc_link",
    "out_link/secret.txt",
    "out_link",
    "secret_link",
    "dangling",
    "sub/up_link/secret.txt",
    "~/x",
    "~root/.bashrc",
    "x\x00y",
    "a" * 5000,
    "a/" * 600,
    "b" * 300,
    "..\\outside\\secret.txt",
    "..\\..\\x",
    "\u2025/outside/secret.txt",
    "\uff0e\uff0e/outside/secret.txt",
    "..\uff0f..\uff0foutside",
    "..\u200b/outside/secret.txt",
    "\u202e../outside/secret.txt",
    "",
    "   ",
    "loop_a",
]

FS_CALLS = [
    ("filesystem.read_file", lambda p: {"path": p}),
    ("filesystem.write_file", lambda p: {"path": p, "content": "PWNED"}),
    ("filesystem.edit_file", lambda p: {"path": p, "old_string": SECRET, "new_string": "PWNED"}),
    ("filesystem.list_directory", lambda p: {"path": p}),
    ("filesystem.grep", lambda p: {"pattern": "TOP.*42", "path": p}),
]


@pytest.mark.parametrize("user_path", ESCAPES, ids=lambda p: ascii(p)[:40])
def test_resolve_in_root_refuses(world: tuple[Path, Path], user_path: str) -> None:
    root, _ = world
    with pytest.raises(ToolError) as info:
        resolve_in_root(root, user_path)
    assert info.value.code in ("outside_root", "invalid_path")


@pytest.mark.parametrize("user_path", ESCAPES, ids=lambda p: ascii(p)[:40])
@pytest.mark.parametrize(("tool", "make_args"), FS_CALLS, ids=[c[0] for c in FS_CALLS])
def test_tools_refuse_escapes(world: tuple[Path, Path], tool: str, make_args, user_path: str) -> None:
    root, outside = world
    before = snapshot(outside)
    ctx = make_ctx(root)
    result = call_raw(ctx, tool, make_args(user_path))
    if user_path == "" and tool in ("filesystem.list_directory", "filesystem.grep"):
        assert result.status == "ok"  # the path is optional there: empty means the project root
    else:
        assert result.status == "error", result.content
        assert result.error_code in ("outside_root", "invalid_path"), (result.error_code, result.content)
    assert SECRET not in result.content
    assert snapshot(outside) == before
    assert not (outside / "new.txt").exists()


@pytest.mark.parametrize(
    "user_path", ["ok.txt", "sub", ".", "sub/../ok.txt", "new/deeper/file.txt", "a..b", "..hidden", "é.txt"]
)
def test_resolve_in_root_accepts_inside_paths(world: tuple[Path, Path], user_path: str) -> None:
    root, _ = world
    resolved = resolve_in_root(root, user_path)
    assert resolved == root.resolve() or resolved.is_relative_to(root.resolve())


def test_resolve_returns_symlink_free_path(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    os.symlink("real", tmp_path / "alias")
    assert resolve_in_root(tmp_path, "alias/f.txt") == (tmp_path / "real" / "f.txt").resolve()
    assert relative(tmp_path, resolve_in_root(tmp_path, "alias/f.txt")) == "real/f.txt"
    assert relative(tmp_path, resolve_in_root(tmp_path, ".")) == "."


@pytest.mark.parametrize(
    "user_path", [".git/config", ".git/hooks/pre-commit", "git_link/config", "sub/.git/x"]
)
def test_write_tools_refuse_git_dir(world: tuple[Path, Path], user_path: str) -> None:
    root, _ = world
    ctx = make_ctx(root)
    before = (root / ".git" / "config").read_bytes()
    assert call(ctx, "filesystem.read_file", path=".git/config").status == "ok"  # reading .git is fine
    write = call(ctx, "filesystem.write_file", path=user_path, content="[core]\n\thooksPath = /tmp/evil\n")
    assert (write.status, write.error_code) == ("error", "protected_path")
    edit = call(ctx, "filesystem.edit_file", path=".git/config", old_string="[core]", new_string="[evil]")
    assert (edit.status, edit.error_code) == ("error", "protected_path")
    assert (root / ".git" / "config").read_bytes() == before
    assert not (root / ".git" / "hooks").exists()
    assert not (root / "sub" / ".git").exists()


def test_refuse_git_dir_is_case_insensitive(tmp_path: Path) -> None:
    with pytest.raises(ToolError) as info:
        refuse_git_dir(tmp_path, tmp_path.resolve() / ".GIT" / "config")
    assert info.value.code == "protected_path"
    refuse_git_dir(tmp_path, tmp_path.resolve() / ".github" / "ci.yml")


@pytest.mark.parametrize("pattern", ["../*", "/etc/*", "~/*", "out_link/*", "etc_link/**", "sub/../../*"])
def test_glob_refuses_escapes(world: tuple[Path, Path], pattern: str) -> None:
    root, _ = world
    result = call(make_ctx(root), "filesystem.glob", pattern=pattern)
    assert (result.status, result.error_code) == ("error", "outside_root"), result.content
    assert "passwd" not in result.content


def test_glob_and_grep_do_not_follow_symlinks_out(world: tuple[Path, Path]) -> None:
    root, _ = world
    ctx = make_ctx(root)
    listing = call(ctx, "filesystem.glob", pattern="**/*")
    assert listing.status == "ok"
    assert not any(
        line.startswith(("etc_link/", "out_link/", "sub/up_link/")) for line in listing.content.splitlines()
    )
    found = call(ctx, "filesystem.grep", pattern="TOP.*42")
    assert found.status == "ok" and found.data["matches"] == 0
    assert SECRET not in found.content
    found_root = call(ctx, "filesystem.grep", pattern="root:", path="sub")
    assert found_root.data["matches"] == 0


def test_git_add_refuses_escapes(world: tuple[Path, Path]) -> None:
    root, _ = world
    ctx = make_ctx(root)
    for user_path in ["../outside/secret.txt", "/etc/passwd", "out_link/secret.txt", "~/x"]:
        result = call(ctx, "git.add", paths=["ok.txt", user_path])
        assert result.error_code in ("outside_root", "invalid_path"), result.content
    diff = call(ctx, "git.diff", path="../outside")
    assert diff.error_code == "outside_root"
