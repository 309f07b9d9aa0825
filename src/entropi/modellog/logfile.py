"""The model-log file (`.entropi/session_model.log`): the only code that knows its on-disk format.

Writes records (append-only, `flock`, one `os.write`, `fsync`, rotation) and reads them back as a stream.
Non-goals: deciding what to log, indexing or querying the log, compressing or deleting old files.

Format v1: UTF-8 text, one block per record, blocks back to back::

    ======== entropi-log v1 <kind> <record_id> <created_at> session=<session_id as JSON> turn=<n> ========
    [META] <n>
    <n bytes: indented JSON of every field that has no section of its own>
    [<NAME>] <n>
    <n bytes>
    ======== end <record_id> sha256=<64 hex> ========

Every section is `[NAME] <n>\\n`, exactly <n> body bytes, then `\\n`. The reader reads exactly <n> bytes, so
a body may hold anything (marker-like lines, whole other records, CR, NUL). Sections, in this order, per kind:
model_call: META, PROMPT (text), RAW OUTPUT (text), TOOL CALLS (JSON of parsed.tool_calls), MESSAGES (JSON),
TOOLS (JSON); tool_result: META, RESULT (text of `content`); approval and outcome: META only. The header line
repeats META fields for people and grep (session id JSON-quoted, so it is one ASCII line); the reader checks
it matches the record. The sha256 covers every byte from the start of the header line to the start of the
footer. Lone surrogates in any string are written as U+FFFD (they cannot be UTF-8).

Reading skips a bad record and reports it (`LogReadError`) or raises (`LogFormatError`). A record whose
framing parsed (header, sections, footer) but whose checksum, JSON or fields are bad is skipped whole. A
record with broken framing (bad line, body cut short, no footer) is skipped by scanning for the next
`======== entropi-log v` after its start; that scan cannot tell a real record from a copy of one quoted inside
the broken record's body. Speed: the scan first checks for a marker right at the offset (the usual case),
and each record is first offered to the fast decode path (`fastread.py`); a record that path cannot vouch
for is decoded here, the strict way, so what is accepted and every reason given are unchanged.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from pydantic import TypeAdapter, ValidationError

from entropi.modellog.records import LogRecord

if TYPE_CHECKING:
    from entropi.modellog.fastread import FastReader

FORMAT_VERSION = 1
MARKER = b"======== entropi-log v"
_HEADER_RE = re.compile(rb"======== entropi-log v(\d+) ([a-z_]+) ([0-9a-f]{32}) ([^\n]*) ========\n")
_SECTION_RE = re.compile(rb"\[([A-Z][A-Z ]*)\] (\d{1,15})\n")
_FOOTER_RE = re.compile(rb"======== end ([0-9a-f]{32}) sha256=([0-9a-f]{64}) ========\n")
_MAX_LINE = 4096
_SCAN_CHUNK = 1 << 20
_SURROGATE = re.compile("[\ud800-\udfff]")
_RECORD = TypeAdapter(LogRecord)


@dataclass(frozen=True)
class _Section:
    name: str
    field: tuple[str, ...]
    text: bool


_SECTIONS: dict[str, tuple[_Section, ...]] = {
    "model_call": (
        _Section("PROMPT", ("prompt",), True),
        _Section("RAW OUTPUT", ("raw_output",), True),
        _Section("TOOL CALLS", ("parsed", "tool_calls"), False),
        _Section("MESSAGES", ("messages",), False),
        _Section("TOOLS", ("tools",), False),
    ),
    "tool_result": (_Section("RESULT", ("content",), True),),
    "approval": (),
    "outcome": (),
}


@dataclass(frozen=True)
class LogReadError:
    """A record (or stray bytes) the reader skipped: where and why."""

    path: Path
    offset: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: byte {self.offset}: {self.reason}"


class LogFormatError(ValueError):
    """Raised by the reader, when no `errors` list was given, at the first bad record."""

    def __init__(self, path: Path, offset: int, reason: str) -> None:
        super().__init__(f"{path}: byte {offset}: {reason}")
        self.path, self.offset, self.reason = path, offset, reason


# ---- writing ---------------------------------------------------------------------------------------------


def _text(value: str) -> bytes:
    """UTF-8 bytes of any str: lone surrogates (unencodable) become U+FFFD."""
    return _SURROGATE.sub("\ufffd", value).encode("utf-8")


def _json(value: Any) -> bytes:
    """Readable JSON: an object indented, a list one compact element per line (C encoder: fast)."""
    if isinstance(value, list):
        items = ",\n".join(json.dumps(v, ensure_ascii=False, allow_nan=False) for v in value)
        return _text(f"[\n{items}\n]" if value else "[]")
    return _text(json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False))


def _header(data: dict[str, Any]) -> bytes:
    return (
        f"======== entropi-log v{FORMAT_VERSION} {data['kind']} {data['record_id']} {data['created_at']} "
        f"session={json.dumps(data['session_id'])} turn={data['turn_index']} ========\n"
    ).encode("ascii")


def encode_record(record: LogRecord) -> bytes:
    """The record's complete block, as `ModelLog.append` writes it."""
    data = record.model_dump()
    head = _header(data)
    try:
        sections = [(s.name, _pop(data, s.field)) for s in _SECTIONS[record.kind]]
        bodies = [("META", _json(data))]
        for name, value in sections:
            bodies.append((name, _text(value) if isinstance(value, str) else _json(value)))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"record {record.record_id} cannot be logged: {exc}") from exc
    chunk = head + b"".join(b"[%s] %d\n%s\n" % (name.encode(), len(body), body) for name, body in bodies)
    digest = hashlib.sha256(chunk).hexdigest()
    return chunk + f"======== end {record.record_id} sha256={digest} ========\n".encode("ascii")


def _pop(data: dict[str, Any], field: tuple[str, ...]) -> Any:
    *parents, last = field
    for key in parents:
        data = data[key]
    return data.pop(last)


def _is_current(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    fst = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (fst.st_dev, fst.st_ino)


def _rotation_index(candidate: Path, path: Path) -> int | None:
    suffix = candidate.name[len(path.name) + 1 :]
    return int(suffix) if re.fullmatch(r"[0-9]+", suffix) else None


def log_files(path: Path) -> list[Path]:
    """The log's files that exist, oldest first: rotated `<name>.1`, `<name>.2`, ..., then `path` itself."""
    path = Path(path)
    rotated = []
    for candidate in path.parent.glob(glob.escape(path.name) + ".*"):
        index = _rotation_index(candidate, path)
        if index is not None and candidate.is_file():
            rotated.append((index, candidate))
    files = [p for _, p in sorted(rotated)]
    return [*files, path] if path.is_file() else files


class ModelLog:
    """Appends records to one log file; safe across threads and processes that share it."""

    def __init__(
        self, path: Path, *, max_bytes: int = 50_000_000, enabled: bool = True, fsync: bool = False
    ) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.enabled = enabled
        self.fsync = fsync

    def append(self, record: LogRecord) -> None:
        """Write one record with one ``write`` (in the OS once this returns; ``fsync`` also forces it to
        disk). Before writing, rotates a non-empty file the record would push over
        max_bytes (a single record larger than max_bytes still gets a file of its own)."""
        if not self.enabled:
            return
        block = encode_record(record)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if not _is_current(fd, self.path):
                    continue  # another writer rotated it while we waited for the lock
                size = os.fstat(fd).st_size
                if size > 0 and size + len(block) > self.max_bytes:
                    self._rotate()
                    continue
                # A writer that died mid-record left no newline: start ours on a fresh line for readers.
                data = b"\n" + block if size > 0 and os.pread(fd, 1, size - 1) != b"\n" else block
                written = os.write(fd, data)
                while written < len(data):  # rare short write; the lock still keeps other writers out
                    written += os.write(fd, data[written:])
                if self.fsync:
                    os.fsync(fd)
                return
            finally:
                os.close(fd)

    def _rotate(self) -> None:
        indexes = (_rotation_index(p, self.path) for p in log_files(self.path))
        last = max((i for i in indexes if i is not None), default=0)
        os.rename(self.path, self.path.with_name(f"{self.path.name}.{last + 1}"))


# ---- reading ---------------------------------------------------------------------------------------------


class _Skip(Exception):
    """A bad record: why, and where to go on (None: scan on from just after its start)."""

    def __init__(self, reason: str, resume: int | None) -> None:
        super().__init__(reason)
        self.reason, self.resume = reason, resume


def _scan(f: BinaryIO, offset: int) -> tuple[int | None, int | None]:
    """Offset of the next record marker at or after offset, and of the first non-blank byte before it."""
    f.seek(offset)
    if f.read(len(MARKER)) == MARKER:  # fast path: the usual case, the next record starts right here
        return offset, None
    f.seek(offset)
    keep = len(MARKER) - 1
    buf, base, junk_at = b"", offset, None
    while True:
        chunk = f.read(_SCAN_CHUNK)
        buf += chunk
        found = buf.find(MARKER)
        if found >= 0:
            done = buf[:found]
        elif chunk:
            done = buf[: max(len(buf) - keep, 0)]  # keep a tail: a marker may straddle two chunks
        else:
            done = buf
        if junk_at is None and done.strip():
            junk_at = base + len(done) - len(done.lstrip())
        if found >= 0:
            return base + found, junk_at
        if chunk == b"":
            return None, junk_at
        buf, base = buf[len(done) :], base + len(done)


def _field_error(exc: ValidationError) -> str:
    errs = exc.errors()
    shown = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<record>'}: {e['msg']}" for e in errs[:3])
    return f"invalid record ({len(errs)} error(s)): {shown}"


def _decode(kind: str, sections: list[tuple[str, bytes]], fast: FastReader) -> LogRecord:
    """Builds the record from its section bodies; raises ValueError with the reason."""
    record = fast.decode(kind, sections)
    if record is not None:
        return record
    specs = _SECTIONS.get(kind)
    if specs is None:
        raise ValueError(f"unknown record kind {kind!r}")
    expected = ["META", *(s.name for s in specs)]
    if [name for name, _ in sections] != expected:
        raise ValueError(f"sections {[n for n, _ in sections]} do not match kind {kind}: expected {expected}")
    values: list[Any] = []
    for (name, body), spec in zip(sections, (None, *specs), strict=True):
        try:
            text = body.decode("utf-8")
            values.append(text if spec is not None and spec.text else json.loads(text))
        except UnicodeDecodeError as exc:
            raise ValueError(f"section [{name}] is not valid UTF-8 at body byte {exc.start}") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"section [{name}] is not valid JSON: {exc}") from None
    data = values[0]
    if not isinstance(data, dict):
        raise ValueError("section [META] is not a JSON object")
    for spec, value in zip(specs, values[1:], strict=True):
        *parents, last = spec.field
        target = data
        for key in parents:
            target = target.get(key)
            if not isinstance(target, dict):
                raise ValueError(f"META field {key!r} is missing or not an object")
        if last in target:
            raise ValueError(f"META repeats {'.'.join(spec.field)}, which belongs in [{spec.name}]")
        target[last] = value
    try:
        return _RECORD.validate_python(data)
    except ValidationError as exc:
        raise ValueError(_field_error(exc)) from None


def _frame(f: BinaryIO, start: int) -> tuple[bytes, str, list[tuple[str, bytes]], int]:
    """Reads the framing of the record whose header starts at `start`: (header line, kind, section bodies,
    offset just past it); raises _Skip with the reason when the framing or the checksum is bad."""
    size = os.fstat(f.fileno()).st_size
    f.seek(start)

    def broken(what: str) -> _Skip:
        return _Skip("record cut short: the file ends inside it" if f.tell() >= size else what, None)

    header = f.readline(_MAX_LINE)
    head = _HEADER_RE.fullmatch(header)
    if head is None:
        raise broken("bad record header line")
    if int(head[1]) != FORMAT_VERSION:
        raise _Skip(f"unsupported log format v{int(head[1])} (this reader knows v{FORMAT_VERSION})", None)
    digest = hashlib.sha256(header)
    sections: list[tuple[str, bytes]] = []
    while True:
        line_at = f.tell()
        line = f.readline(_MAX_LINE)
        if line.startswith(b"======== end "):
            break
        match = _SECTION_RE.fullmatch(line)
        if match is None:
            raise broken(f"bad section line at byte {line_at}")
        name, length = match[1].decode("ascii"), int(match[2])
        left = size - f.tell()
        if length + 1 > left:
            raise _Skip(
                f"record cut short: section [{name}] declares {length} bytes, the file has {left}", None
            )
        body = f.read(length)
        if f.read(1) != b"\n":
            raise broken(f"no newline after the [{name}] body at byte {line_at}")
        digest.update(line)
        digest.update(body)
        digest.update(b"\n")
        sections.append((name, body))
    foot = _FOOTER_RE.fullmatch(line)
    if foot is None:
        raise broken("bad footer line")
    end = f.tell()
    if foot[1] != head[3]:
        raise _Skip("footer record id does not match the header", end)
    if foot[2].decode("ascii") != digest.hexdigest():
        raise _Skip("checksum mismatch: the record was changed or damaged", end)
    return header, head[2].decode("ascii"), sections, end


def _read_one(f: BinaryIO, start: int, fast: FastReader) -> tuple[LogRecord, int]:
    """Reads the record whose header starts at `start`; returns it and the offset just past it."""
    header, kind, sections, end = fast.frame(f, start) or _frame(f, start)
    try:
        record = _decode(kind, sections, fast)
    except ValueError as exc:
        raise _Skip(str(exc), end) from None
    if _header(record.__dict__) != header:  # the header's fields are plain str/int: no model_dump needed
        raise _Skip("header line does not match the record's fields", end)
    return record, end


def _read_file(path: Path, errors: list[LogReadError] | None, fast: FastReader) -> Iterator[LogRecord]:
    def report(offset: int, reason: str) -> None:
        if errors is None:
            raise LogFormatError(path, offset, reason)
        errors.append(LogReadError(path, offset, reason))

    try:
        f = path.open("rb")
    except OSError as exc:
        report(0, f"cannot open the log file: {exc.strerror or exc}")
        return
    with f:
        pos, quiet = 0, False
        while True:
            start, junk_at = (pos, None) if fast.marker_at(f, pos) else _scan(f, pos)
            if junk_at is not None and not quiet:
                report(junk_at, "unexpected bytes outside any record")
            if start is None:
                return
            try:
                record, pos = _read_one(f, start, fast)
                quiet = False
            except _Skip as skip:
                report(start, skip.reason)
                pos, quiet = (start + 1, True) if skip.resume is None else (skip.resume, False)
                continue
            yield record


def read_records(
    paths: Iterable[Path], *, errors: list[LogReadError] | None = None, share: bool = False
) -> Iterator[LogRecord]:
    """Streams the records of `paths` in order, one record in memory at a time.

    A bad record (or stray bytes between records) is skipped and appended to `errors`; without an `errors`
    list the first one raises `LogFormatError`. Records before it are always yielded. `share=True` reads a
    session's re-logged history once: records of this call then share equal message and tool-schema dicts
    (see `fastread.py`), so they must be treated as read-only.
    """
    from entropi.modellog.fastread import FastReader  # it builds on this module's format definitions

    fast = FastReader(_SECTIONS, _RECORD.validate_python, share=share)
    for path in paths:
        yield from _read_file(Path(path), errors, fast)


def iter_log(path: Path, errors: list[LogReadError] | None = None) -> Iterator[LogRecord]:
    """All records of the log at `path`, rotated files included, oldest first."""
    return read_records(log_files(path), errors=errors)
