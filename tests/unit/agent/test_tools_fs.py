"""The filesystem tools on real files: read, write, edit, list, glob, grep; happy paths and error codes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from tools_support import call, call_raw, make_ctx

from entropi.agent.tools.walk import glob_regex


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("import os\n\n\ndef main():\n    return 1\n")
    (tmp_path / "notes.md").write_text("# Notes\nline two\nline three\n")
    return tmp_path


def unchanged(path: Path):
    """Snapshot (bytes, mtime_ns) of a file, to assert a failed call left it alone."""
    return path.read_bytes(), path.stat().st_mtime_ns


# --- read_file ---------------------------------------------------------------------------------------------


def test_read_whole_file_with_line_numbers(root: Path) -> None:
    result = call(make_ctx(root), "filesystem.read_file", path="notes.md")
    assert result.status == "ok"
    assert result.content == "    1│ # Notes\n    2│ line two\n    3│ line three"
    assert result.data == {"path": "notes.md", "first_line": 1, "line_count": 3}


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (2, 3, ["    2│ line two", "    3│ line three"]),
        (3, None, ["    3│ line three"]),
        (None, 1, ["    1│ # Notes"]),
    ],
)
def test_read_line_ranges(root: Path, start: int | None, end: int | None, expected: list[str]) -> None:
    args = {k: v for k, v in {"start_line": start, "end_line": end}.items() if v is not None}
    result = call(make_ctx(root), "filesystem.read_file", path="notes.md", **args)
    assert result.content.splitlines() == expected


def test_read_range_errors(root: Path) -> None:
    ctx = make_ctx(root)
    assert call(ctx, "filesystem.read_file", path="notes.md", start_line=3, end_line=2).error_code == (
        "invalid_arguments"
    )
    beyond = call(ctx, "filesystem.read_file", path="notes.md", start_line=10)
    assert (beyond.error_code, beyond.content) == ("out_of_range", "notes.md has fewer than 10 lines")
    zero = call_raw(ctx, "filesystem.read_file", {"path": "notes.md", "start_line": 0})
    assert zero.error_code == "invalid_arguments"


def test_read_missing_file_suggests_names(root: Path) -> None:
    result = call(make_ctx(root), "filesystem.read_file", path="src/ap.py")
    assert result.error_code == "not_found"
    assert "app.py" in result.content


def test_read_directory_and_fifo(root: Path) -> None:
    ctx = make_ctx(root)
    assert call(ctx, "filesystem.read_file", path="src").error_code == "is_directory"
    os.mkfifo(root / "pipe")
    assert call(ctx, "filesystem.read_file", path="pipe").error_code == "not_a_file"


def test_read_too_large_unless_a_range_is_given(root: Path) -> None:
    (root / "big.txt").write_text("".join(f"line {i:04d} {'x' * 90}\n" for i in range(1, 2001)))
    ctx = make_ctx(root, read_max_bytes=1000)
    whole = call(ctx, "filesystem.read_file", path="big.txt")
    assert whole.error_code == "too_large"
    assert "start_line" in whole.content
    part = call(ctx, "filesystem.read_file", path="big.txt", start_line=1500, end_line=1502)
    assert part.status == "ok"
    assert part.content.splitlines()[0].startswith(" 1500│ line 1500")
    streamed = call(ctx, "filesystem.read_file", path="big.txt", start_line=10, end_line=2000)
    assert streamed.status == "ok"
    assert streamed.data["line_count"] < 20
    assert "read limit" in streamed.content


def test_read_one_huge_line_with_a_range_is_cut(root: Path) -> None:
    (root / "oneline.txt").write_text("y" * 50_000)
    result = call(
        make_ctx(root, read_max_bytes=1000), "filesystem.read_file", path="oneline.txt", start_line=1
    )
    assert result.status == "ok"
    assert result.data["line_count"] == 1
    assert result.content.splitlines()[0] == "    1│ " + "y" * 1000


def test_read_binary_and_non_utf8(root: Path) -> None:
    ctx = make_ctx(root)
    (root / "blob.bin").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert call(ctx, "filesystem.read_file", path="blob.bin").error_code == "binary_file"
    (root / "latin1.txt").write_bytes("café\nnaïve\n".encode("latin-1"))
    result = call(ctx, "filesystem.read_file", path="latin1.txt")
    assert result.status == "ok"
    assert "caf\ufffd" in result.content and "not valid UTF-8" in result.content
    ranged = call(ctx, "filesystem.read_file", path="latin1.txt", start_line=2)
    assert "na\ufffdve" in ranged.content and "not valid UTF-8" in ranged.content


def test_read_crlf_and_empty_files(root: Path) -> None:
    ctx = make_ctx(root)
    (root / "win.txt").write_bytes(b"a\r\nb\r\n")
    assert call(ctx, "filesystem.read_file", path="win.txt").content == "    1│ a\n    2│ b"
    (root / "empty.txt").write_text("")
    assert call(ctx, "filesystem.read_file", path="empty.txt").content == "(empty file)"


# --- write_file --------------------------------------------------------------------------------------------


def test_write_new_file_creates_parents(root: Path) -> None:
    result = call(make_ctx(root), "filesystem.write_file", path="pkg/sub/mod.py", content="x = 1\ny = 2\n")
    assert result.status == "ok"
    assert result.content == "Created pkg/sub/mod.py (2 lines, 12 bytes)"
    assert result.changed_files == ["pkg/sub/mod.py"]
    assert (root / "pkg" / "sub" / "mod.py").read_bytes() == b"x = 1\ny = 2\n"


def test_write_existing_needs_read_and_detects_changes(root: Path) -> None:
    ctx = make_ctx(root)
    target = root / "notes.md"
    before = unchanged(target)
    refused = call(ctx, "filesystem.write_file", path="notes.md", content="new\n")
    assert refused.error_code == "not_read"
    assert unchanged(target) == before
    call(ctx, "filesystem.read_file", path="notes.md")
    target.write_text("edited by someone else\n")
    stale = call(ctx, "filesystem.write_file", path="notes.md", content="new\n")
    assert stale.error_code == "changed_on_disk"
    assert target.read_text() == "edited by someone else\n"
    call(ctx, "filesystem.read_file", path="notes.md")
    ok = call(ctx, "filesystem.write_file", path="notes.md", content="new\n")
    assert ok.content.startswith("Overwrote notes.md")
    again = call(ctx, "filesystem.write_file", path="notes.md", content="newer\n")  # own write is known
    assert again.status == "ok"
    assert target.read_text() == "newer\n"


def test_write_keeps_mode_and_refuses_bad_targets(root: Path) -> None:
    ctx = make_ctx(root)
    script = root / "run.sh"
    script.write_text("echo hi\n")
    script.chmod(0o755)
    call(ctx, "filesystem.read_file", path="run.sh")
    assert call(ctx, "filesystem.write_file", path="run.sh", content="echo bye\n").status == "ok"
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert call(ctx, "filesystem.write_file", path="src", content="x").error_code == "is_directory"
    assert call(ctx, "filesystem.write_file", path=".", content="x").error_code == "is_directory"
    assert call(ctx, "filesystem.write_file", path="notes.md/inner.txt", content="x").error_code == (
        "not_a_directory"
    )
    surrogate = call(ctx, "filesystem.write_file", path="s.txt", content="bad \ud800")
    assert surrogate.error_code == "invalid_arguments"
    assert not (root / "s.txt").exists()


# --- edit_file ---------------------------------------------------------------------------------------------


def test_edit_replaces_once_and_shows_context(root: Path) -> None:
    ctx = make_ctx(root)
    call(ctx, "filesystem.read_file", path="src/app.py")
    result = call(
        ctx, "filesystem.edit_file", path="src/app.py", old_string="return 1", new_string="return 2"
    )
    assert result.status == "ok", result.content
    assert (root / "src" / "app.py").read_text() == "import os\n\n\ndef main():\n    return 2\n"
    assert result.changed_files == ["src/app.py"]
    assert result.content.splitlines()[0] == "Edited src/app.py (line 5):"
    assert "    5│     return 2" in result.content and "    2│ " in result.content
    again = call(ctx, "filesystem.edit_file", path="src/app.py", old_string="import os\n", new_string="")
    assert again.status == "ok"
    assert (root / "src" / "app.py").read_text().startswith("\n\ndef main")


def test_edit_no_match_gives_closest_line_and_leaves_file(root: Path) -> None:
    ctx = make_ctx(root)
    target = root / "src" / "app.py"
    call(ctx, "filesystem.read_file", path="src/app.py")
    before = unchanged(target)
    result = call(ctx, "filesystem.edit_file", path="src/app.py", old_string="def  main( ):", new_string="x")
    assert result.error_code == "no_match"
    assert "Closest line 4: 'def main():'" in result.content
    nothing = call(ctx, "filesystem.edit_file", path="src/app.py", old_string="zzzzqqqq", new_string="x")
    assert nothing.error_code == "no_match" and "No line is close" in nothing.content
    assert unchanged(target) == before


def test_edit_multiple_matches_lists_lines_and_leaves_file(root: Path) -> None:
    ctx = make_ctx(root)
    target = root / "dup.py"
    target.write_text("x = 1\ny = 2\nx = 1\n")
    call(ctx, "filesystem.read_file", path="dup.py")
    before = unchanged(target)
    result = call(ctx, "filesystem.edit_file", path="dup.py", old_string="x = 1", new_string="x = 3")
    assert result.error_code == "multiple_matches"
    assert "occurs 2 times" in result.content and "lines 1, 3" in result.content
    overlap = root / "aaa.txt"
    overlap.write_text("aaa")
    call(ctx, "filesystem.read_file", path="aaa.txt")
    assert call(ctx, "filesystem.edit_file", path="aaa.txt", old_string="aa", new_string="b").error_code == (
        "multiple_matches"
    )
    assert unchanged(target) == before and overlap.read_text() == "aaa"


def test_edit_argument_and_state_errors(root: Path) -> None:
    ctx = make_ctx(root)
    target = root / "notes.md"
    before = unchanged(target)
    same = call(ctx, "filesystem.edit_file", path="notes.md", old_string="line two", new_string="line two")
    assert same.error_code == "invalid_arguments"
    empty = call(ctx, "filesystem.edit_file", path="notes.md", old_string="", new_string="x")
    assert empty.error_code == "invalid_arguments"
    not_read = call(ctx, "filesystem.edit_file", path="notes.md", old_string="line two", new_string="2")
    assert not_read.error_code == "not_read"
    missing = call(ctx, "filesystem.edit_file", path="nope.md", old_string="a", new_string="b")
    assert missing.error_code == "not_found"
    call(ctx, "filesystem.read_file", path="notes.md")
    target.write_text("# Notes\nline two!\nline three\n")
    stale = call(ctx, "filesystem.edit_file", path="notes.md", old_string="line two", new_string="2")
    assert stale.error_code == "changed_on_disk"
    assert target.read_text() == "# Notes\nline two!\nline three\n"
    (root / "b.bin").write_bytes(b"ab\x00cd")
    assert call(ctx, "filesystem.edit_file", path="b.bin", old_string="ab", new_string="x").error_code == (
        "binary_file"
    )
    assert before[0] != target.read_bytes()  # only the outside edit changed it


def test_edit_keeps_crlf_and_undecodable_bytes(root: Path) -> None:
    ctx = make_ctx(root)
    target = root / "win.txt"
    target.write_bytes(b"caf\xe9\r\nold line\r\nend\r\n")
    call(ctx, "filesystem.read_file", path="win.txt")
    result = call(
        ctx, "filesystem.edit_file", path="win.txt", old_string="old line\nend", new_string="new\nend"
    )
    assert result.status == "ok", result.content
    assert target.read_bytes() == b"caf\xe9\r\nnew\r\nend\r\n"


# --- list_directory ----------------------------------------------------------------------------------------


def test_list_directory_sorted_with_kinds_and_sizes(root: Path) -> None:
    (root / "big.bin").write_bytes(b"x" * 2048)
    os.symlink("notes.md", root / "link")
    result = call(make_ctx(root), "filesystem.list_directory")
    assert result.content.splitlines() == [
        "./ (4 entries)", "big.bin  2.0K", "link@", "notes.md  28B", "src/",
    ]  # fmt: skip
    sub = call(make_ctx(root), "filesystem.list_directory", path="src")
    assert sub.content == "src/ (1 entry)\napp.py  37B"


def test_list_directory_errors_and_cap(root: Path) -> None:
    ctx = make_ctx(root)
    assert call(ctx, "filesystem.list_directory", path="nope").error_code == "not_found"
    assert call(ctx, "filesystem.list_directory", path="notes.md").error_code == "not_a_directory"
    (root / "empty").mkdir()
    assert call(ctx, "filesystem.list_directory", path="empty").content == "empty/ (empty directory)"
    many = root / "many"
    many.mkdir()
    for i in range(510):
        (many / f"f{i:03d}").touch()
    result = call(ctx, "filesystem.list_directory", path="many")
    lines = result.content.splitlines()
    assert len(lines) == 502 and lines[-1].startswith("[… 10 more entries")


# --- glob --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("**/*.py", "a.py", True), ("**/*.py", "x/y/a.py", True), ("*.py", "x/a.py", False),
        ("src/*.py", "src/a.py", True), ("src/*.py", "src/x/a.py", False), ("src/**", "src/x/a.py", True),
        ("[ab].py", "b.py", True), ("[!ab].py", "a.py", False), ("?.py", "ab.py", False),
        ("a**b", "axxb", True), ("**/test_*.py", "tests/unit/test_x.py", True), ("*.[", "a.[", True),
    ],
)  # fmt: skip
def test_glob_regex(pattern: str, path: str, hit: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is hit


def test_glob_finds_sorted_paths_and_skips_junk(root: Path) -> None:
    for junk in [".venv/lib", "node_modules/pkg", "src/__pycache__", ".git"]:
        (root / junk).mkdir(parents=True, exist_ok=True)
        (root / junk / "junk.py").write_text("")
    (root / "src" / "util.py").write_text("")
    (root / "top.py").write_text("")
    ctx = make_ctx(root)
    assert call(ctx, "filesystem.glob", pattern="**/*.py").content == "src/app.py\nsrc/util.py\ntop.py"
    assert call(ctx, "filesystem.glob", pattern="./src/*.py").content == "src/app.py\nsrc/util.py"
    assert call(ctx, "filesystem.glob", pattern="*").content == "notes.md\nsrc/\ntop.py"
    assert call(ctx, "filesystem.glob", pattern=".venv/**/*.py").content == ".venv/lib/junk.py"
    none = call(ctx, "filesystem.glob", pattern="*.rs")
    assert none.status == "ok" and "use **/*.rs" in none.content
    assert call(ctx, "filesystem.glob", pattern="nope/*.py").content.startswith("No paths match")
    assert call(ctx, "filesystem.glob", pattern="  ").error_code == "invalid_arguments"


def test_glob_caps_results(root: Path) -> None:
    many = root / "many"
    many.mkdir()
    for i in range(520):
        (many / f"f{i:03d}.txt").touch()
    result = call(make_ctx(root), "filesystem.glob", pattern="many/*.txt")
    lines = result.content.splitlines()
    assert len(lines) == 501 and lines[0] == "many/f000.txt" and "20 more matches" in lines[-1]
    assert result.data == {"count": 520}


# --- grep --------------------------------------------------------------------------------------------------


def test_grep_matches_with_paths_and_lines(root: Path) -> None:
    ctx = make_ctx(root)
    result = call(ctx, "filesystem.grep", pattern=r"^line \w+")
    assert result.content == "notes.md:2: line two\nnotes.md:3: line three"
    one_file = call(ctx, "filesystem.grep", pattern="def", path="src/app.py")
    assert one_file.content == "src/app.py:4: def main():"
    in_dir = call(ctx, "filesystem.grep", pattern="import", path="src")
    assert in_dir.content == "src/app.py:1: import os"


def test_grep_glob_filter(root: Path) -> None:
    (root / "src" / "other.txt").write_text("def not_python\n")
    ctx = make_ctx(root)
    assert call(ctx, "filesystem.grep", pattern="def", glob="*.py").content == "src/app.py:4: def main():"
    assert call(ctx, "filesystem.grep", pattern="def", glob="src/*.txt").content == (
        "src/other.txt:1: def not_python"
    )
    assert call(ctx, "filesystem.grep", pattern="def", glob="../*").error_code == "outside_root"


def test_grep_skips_binary_and_junk_and_cuts_long_lines(root: Path) -> None:
    (root / "blob.bin").write_bytes(b"needle\x00\x01")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "x.js").write_text("needle\n")
    (root / "long.txt").write_text("needle " + "z" * 1000 + "\n")
    ctx = make_ctx(root)
    result = call(ctx, "filesystem.grep", pattern="needle")
    assert result.content.startswith("long.txt:1: needle zzz") and result.content.endswith(" […]")
    assert result.data["matches"] == 1 and result.data["files_skipped"] == 1
    assert call(ctx, "filesystem.grep", pattern="needle", path="blob.bin").error_code == "binary_file"


def test_grep_errors_and_cap(root: Path) -> None:
    ctx = make_ctx(root)
    bad = call(ctx, "filesystem.grep", pattern="(unclosed")
    assert bad.error_code == "invalid_arguments" and "invalid regular expression" in bad.content
    assert call(ctx, "filesystem.grep", pattern="x", path="missing").error_code == "not_found"
    none = call(ctx, "filesystem.grep", pattern="qqqq")
    assert none.status == "ok" and none.content.startswith("No matches")
    (root / "many.txt").write_text("hit\n" * 300)
    capped = call(ctx, "filesystem.grep", pattern="hit")
    lines = capped.content.splitlines()
    assert len(lines) == 201 and lines[199] == "many.txt:200: hit" and "stopped at 200" in lines[-1]
    assert capped.data["complete"] is False
