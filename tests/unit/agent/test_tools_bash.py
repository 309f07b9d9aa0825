"""bash.execute with real bash: output, exit codes, timeouts that kill the whole group, cancel, odd output."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from tools_support import call, call_raw, make_ctx


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for a reaper counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_output_exit_code_and_cwd(tmp_path: Path) -> None:
    result = call(make_ctx(tmp_path), "bash.execute", command="echo out; echo err >&2; pwd; exit 3")
    assert result.status == "ok"
    assert result.data["exit_code"] == 3
    assert result.content == f"out\nerr\n{tmp_path.resolve()}\n[exit code 3]"


def test_environment_has_pagers_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENTROPI_TEST_MARK", "inherited")
    monkeypatch.setenv("PAGER", "less")
    result = call(make_ctx(tmp_path), "bash.execute", command='echo "$PAGER $GIT_PAGER $ENTROPI_TEST_MARK"')
    assert result.content.startswith("cat cat inherited\n")


def test_no_output_and_stdin_closed(tmp_path: Path) -> None:
    assert call(make_ctx(tmp_path), "bash.execute", command="true").content == "(no output)\n[exit code 0]"
    result = call(make_ctx(tmp_path), "bash.execute", command="cat", timeout_s=5)
    assert result.data["exit_code"] == 0  # reads EOF instead of hanging


def test_timeout_kills_children_and_keeps_partial_output(tmp_path: Path) -> None:
    started = time.monotonic()
    result = call(
        make_ctx(tmp_path),
        "bash.execute",
        command="echo before; sleep 30 & echo $! > bg.pid; sleep 30",
        timeout_s=1,
    )
    assert time.monotonic() - started < 5
    assert (result.status, result.error_code) == ("error", "timeout")
    assert result.content.startswith("before\n") and "timed out after 1 s" in result.content
    assert result.data["exit_code"] is None
    background = int((tmp_path / "bg.pid").read_text())
    deadline = time.monotonic() + 2
    while alive(background) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(background)


def test_timeout_is_capped(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, bash_max_timeout_s=2)
    result = call(ctx, "bash.execute", command="echo hi", timeout_s=100_000)
    assert result.status == "ok" and "capped at 2 s" in result.content
    bad = call_raw(ctx, "bash.execute", {"command": "echo hi", "timeout_s": 0})
    assert bad.error_code == "invalid_arguments"


def test_background_process_holding_output_does_not_block(tmp_path: Path) -> None:
    started = time.monotonic()
    result = call(make_ctx(tmp_path), "bash.execute", command="(sleep 30 &); echo done")
    assert time.monotonic() - started < 5
    assert result.status == "ok" and result.data["exit_code"] == 0
    assert result.content.startswith("done\n") and "background processes" in result.content


def test_background_process_with_own_output_keeps_running(tmp_path: Path) -> None:
    result = call(make_ctx(tmp_path), "bash.execute", command="sleep 5 >/dev/null 2>&1 & echo $!")
    pid = int(result.content.splitlines()[0])
    try:
        assert alive(pid)
    finally:
        call(make_ctx(tmp_path), "bash.execute", command=f"kill {pid}")


def test_cancel_stops_the_command(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    ctx.cancel = threading.Event()
    threading.Timer(0.3, ctx.cancel.set).start()
    started = time.monotonic()
    result = call(ctx, "bash.execute", command="echo started; sleep 30")
    assert time.monotonic() - started < 5
    assert (result.status, result.error_code) == ("error", "cancelled")
    assert result.content.startswith("started\n")


def test_binary_output_is_noted_not_shown(tmp_path: Path) -> None:
    result = call(make_ctx(tmp_path), "bash.execute", command="head -c 100000 /dev/urandom")
    assert result.status == "ok"
    assert result.content == "[binary output: 100000 bytes, not shown]\n[exit code 0]"


def test_non_utf8_text_output_is_decoded_with_replacement(tmp_path: Path) -> None:
    result = call(make_ctx(tmp_path), "bash.execute", command=r"printf 'caf\xe9\n'")
    assert result.content == "caf\ufffd\n[exit code 0]"


def test_huge_output_keeps_head_and_tail_within_the_limit(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, result_max_chars=2000)
    result = call(ctx, "bash.execute", command="seq 1 3000000")
    assert result.status == "ok"
    assert len(result.content) <= 2000
    assert result.content.startswith("1\n2\n3\n")
    assert result.content.endswith("2999999\n3000000\n[exit code 0]")
    assert "[… the middle of 22888896 bytes of output is cut …]" in result.content
    assert result.data["output_bytes"] == len("".join(f"{i}\n" for i in range(1, 3000001)))


def test_empty_command_and_subject(tmp_path: Path) -> None:
    assert call(make_ctx(tmp_path), "bash.execute", command="  ").error_code == "invalid_arguments"
    from tools_support import REGISTRY

    tool = REGISTRY.get("bash.execute")
    assert tool is not None and tool.subject({"command": "pytest -q"}) == "pytest -q"
