"""FileTracker (read-before-write, changed-on-disk) and atomic writes, including a SIGKILL mid-write."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from entropi.agent.tools import FileTracker, ToolError, atomic_write_text
from entropi.agent.tools.files import atomic_write_bytes, looks_binary

SRC = Path(__file__).resolve().parents[3] / "src"


def test_new_file_is_writable_without_a_read(tmp_path: Path) -> None:
    FileTracker().check_writable(tmp_path / "new.txt")


def test_existing_file_must_be_read_first(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("one\n")
    tracker = FileTracker()
    with pytest.raises(ToolError) as info:
        tracker.check_writable(path)
    assert info.value.code == "not_read"
    tracker.record_read(path)
    assert tracker.was_read(path)
    tracker.check_writable(path)


def test_change_after_read_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("one\n")
    tracker = FileTracker()
    tracker.record_read(path)
    path.write_text("two\n")  # same size, different content
    with pytest.raises(ToolError) as info:
        tracker.check_writable(path)
    assert info.value.code == "changed_on_disk"
    path.write_text("one\n")  # back to what was read: fine again, whatever the mtime
    tracker.check_writable(path)


def test_record_write_makes_own_writes_known(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("one\n")
    tracker = FileTracker()
    tracker.record_read(path)
    atomic_write_text(path, "changed\n")
    tracker.record_write(path)
    tracker.check_writable(path)


def test_atomic_write_replaces_content_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "run.sh"
    path.write_text("old\n")
    path.chmod(0o751)
    atomic_write_text(path, "new\r\nline\n")
    assert path.read_bytes() == b"new\r\nline\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert [p.name for p in tmp_path.iterdir()] == ["run.sh"]


def test_atomic_write_new_file_gets_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "n.bin", b"\x00\x01")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "n.bin").stat().st_mode) == 0o644
    assert (tmp_path / "n.bin").read_bytes() == b"\x00\x01"


def test_atomic_write_with_a_long_name(tmp_path: Path) -> None:
    path = tmp_path / ("n" * 250)
    atomic_write_text(path, "x")
    assert path.read_text() == "x"


def test_atomic_write_failure_leaves_old_content_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(path, "bad \udc80 surrogate")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_looks_binary() -> None:
    assert looks_binary(b"abc\x00def")
    assert not looks_binary("héllo\n".encode())
    assert not looks_binary(b"x" * 9000 + b"\x00")  # only the first 8 KiB are sniffed


CHILD = """
import sys
from pathlib import Path
from entropi.agent.tools.files import atomic_write_text
text = "B" * int(sys.argv[2])
print("ready", flush=True)
atomic_write_text(Path(sys.argv[1]), text)
print("done", flush=True)
"""


@pytest.mark.parametrize("delay_s", [0.0, 0.03, 0.05, 0.07, 0.1])
def test_sigkill_mid_write_leaves_old_or_new(tmp_path: Path, delay_s: float) -> None:
    path = tmp_path / "big.txt"
    old = "A" * 1000 + "\n"
    path.write_text(old)
    size = 40_000_000
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(size)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    time.sleep(delay_s)
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    data = path.read_text()
    assert data == old or data == "B" * size, f"mixed content: {len(data)} chars"
    # a killed writer may leave its temp file behind, never under the target's name
    assert all(p.name == "big.txt" or p.name.endswith(".entropi-tmp") for p in tmp_path.iterdir())
