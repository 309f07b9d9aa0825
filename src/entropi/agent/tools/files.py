"""Read-before-write bookkeeping and crash-safe file writes.

Scope: `FileTracker` remembers the state (mtime_ns, size, sha256) of every file the model read in this
session, so a write refuses a file the model never saw or one that changed on disk since; `atomic_write_text`
/ `atomic_write_bytes` replace a file so that a kill at any moment leaves the old or the new content.
`looks_binary` is the shared binary-content test. Non-goals: locking against other writers; fsync-ing
parent directories created on the way (only the final directory entry is made durable).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from entropi.agent.tools.base import ToolError

SNIFF_BYTES = 8192


def looks_binary(sample: bytes) -> bool:
    """Git's heuristic: a NUL byte in the first few KiB means binary."""
    return b"\x00" in sample[:SNIFF_BYTES]


@dataclass(frozen=True)
class FileState:
    mtime_ns: int
    size: int
    sha256: str


def _state_of(path: Path) -> FileState:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        stat = os.fstat(f.fileno())
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return FileState(stat.st_mtime_ns, stat.st_size, digest.hexdigest())


class FileTracker:
    """Per-session record of what the model has seen, keyed by resolved absolute path."""

    def __init__(self) -> None:
        self._seen: dict[Path, FileState] = {}

    def record_read(self, path: Path) -> None:
        """Remember the file's current state (after a read, or after our own write)."""
        self._seen[path] = _state_of(path)

    record_write = record_read

    def was_read(self, path: Path) -> bool:
        return path in self._seen

    def check_writable(self, path: Path) -> None:
        """Allow a new file, or an existing one read earlier and unchanged since; ToolError otherwise."""
        if not path.exists():
            return
        known = self._seen.get(path)
        if known is None:
            raise ToolError(
                "not_read", f"{path.name} exists but was not read in this session; read it before changing it"
            )
        current = _state_of(path)
        if (current.size, current.sha256) != (known.size, known.sha256):
            raise ToolError(
                "changed_on_disk", f"{path.name} changed on disk since it was read; read it again first"
            )


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to a temp file beside `path`, fsync it, and rename it over `path`.

    An existing file keeps its permission bits; a new file gets the usual 0o666 minus the umask.
    """
    mode = None
    with contextlib.suppress(FileNotFoundError):
        mode = path.stat().st_mode & 0o7777
    tmp = path.with_name(f".{path.name[:60]}.{uuid.uuid4().hex[:12]}.entropi-tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def atomic_write_text(path: Path, text: str, *, errors: str = "strict") -> None:
    """`atomic_write_bytes` of `text` encoded as UTF-8 (no newline translation)."""
    atomic_write_bytes(path, text.encode("utf-8", errors))
