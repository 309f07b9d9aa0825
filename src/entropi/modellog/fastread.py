"""The model-log reader's fast path: frames and decodes a record the cheap way where that cannot change the
result, and otherwise says it cannot tell, so `logfile.py` reads the record the strict way (which gives every
reason a record is refused). What is accepted, and every value read back, are the strict path's.

Framing: records are cut out of a read-ahead window of the file (`WINDOW` bytes, more for a larger record)
instead of a few buffered reads and seeks per section; only a record whose header, section lines, bodies,
footer and checksum are all well-formed is framed here.
Decoding: a model call's MESSAGES and TOOLS bodies (large, free-form JSON) are parsed with non-finite numbers
refused and only checked to be lists of objects, which is all pydantic's `list[JsonObject]` check adds to
json.loads (walking them through pydantic's JsonValue union costs more than parsing them). With `share=True`,
a body in the writer's shape (`[`, one compact object per line, `]`) is read object by object: a session
re-logs its whole history with every call, so when a body starts with the session's previous one (less its
closing `]`), that one's objects are reused and only the new ones are looked at, and other objects come
through a cache keyed by their bytes (two generations of `CACHE_BYTES` of object text; the last bodies of 64
sessions are kept). Records of one read then share equal message and tool-schema dicts (each record has its
own lists), so callers must treat them as read-only.
Non-goals: the format itself and the strict reading (`logfile.py`), deciding what a valid record is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, BinaryIO

from pydantic import ValidationError

from entropi.modellog.logfile import (
    _FOOTER_RE,
    _HEADER_RE,
    _MAX_LINE,
    _SECTION_RE,
    FORMAT_VERSION,
    MARKER,
    _Section,
)
from entropi.modellog.records import JsonObject, LogRecord, ModelCallRecord

CACHE_BYTES = 1 << 20  # object text per cache generation
LAST_BODIES = 128  # (session, section) pairs whose last body is kept: 64 sessions, as many as open turns
WINDOW = 1 << 20
_END = b"======== end "
_VERSION = str(FORMAT_VERSION).encode("ascii")


class Unsure(Exception):
    """The fast path cannot vouch for a value: decode the record the strict way instead."""


def _reject_constant(name: str) -> float:
    raise Unsure(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value - value != 0.0:  # inf or nan
        raise Unsure(text)
    return value


_BULK = {"model_call": frozenset({"MESSAGES", "TOOLS"})}
if any(ModelCallRecord.model_fields[f].annotation != list[JsonObject] for f in ("messages", "tools")):
    _BULK = {}  # the fields' types changed: the shortcut no longer holds, so every record goes the strict way
_LOADS = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float).decode


class FastReader:
    """Frames and decodes records for one read; each method returns None where only the strict path can tell.

    The window is the file's bytes from offset `_base`; a file is read front to back, so it moves forward."""

    def __init__(
        self,
        sections: Mapping[str, Sequence[_Section]],
        validate: Callable[[Any], LogRecord],
        *,
        share: bool = False,
    ) -> None:
        self._sections = sections
        self._validate = validate
        self._share = share
        self._objects: dict[bytes, dict[str, Any]] = {}
        self._old_objects: dict[bytes, dict[str, Any]] = {}
        self._cached = 0
        self._last: dict[tuple[Any, str], tuple[bytes, list[dict[str, Any]]]] = {}
        self._file: BinaryIO | None = None
        self._buf = b""
        self._base = 0
        self._eof = False

    def _window(self, f: BinaryIO, start: int, need: int) -> int:
        """Makes the window hold the file from `start` for at least `need` bytes (unless the file ends
        first: `_eof`); returns the offset of `start` in it."""
        buf, base = self._buf, self._base
        if f is self._file and base <= start and start + need <= base + len(buf):
            return start - base
        # The window's tail is read again rather than kept: one read from the page cache costs less than
        # joining the tail to the next read (two large allocations and copies).
        want = max(need, WINDOW)
        f.seek(start)
        more = f.read(want)
        self._buf, self._base, self._file, self._eof = more, start, f, len(more) < want
        return 0

    def marker_at(self, f: BinaryIO, offset: int) -> bool:
        """Whether a record marker starts right at `offset` (the usual case: records are back to back)."""
        at = self._window(f, offset, len(MARKER))
        return self._buf.startswith(MARKER, at)

    def frame(self, f: BinaryIO, start: int) -> tuple[bytes, str, list[tuple[str, bytes]], int] | None:
        """(header line, kind, sections, offset just past it) of a well-formed record at `start`, or None."""
        need = _MAX_LINE
        while True:
            at = self._window(f, start, need)
            framed = self._frame(at, self._eof)
            if type(framed) is not int:
                return framed
            need = framed

    def _frame(self, at: int, eof: bool) -> tuple[bytes, str, list[tuple[str, bytes]], int] | int | None:
        """`frame` within the window; an int when the window is too short: the bytes needed from `at`."""
        buf = self._buf
        size = len(buf)
        line_end = buf.find(b"\n", at, at + _MAX_LINE)
        if line_end < 0:
            return None if eof or at + _MAX_LINE <= size else _MAX_LINE
        header = buf[at : line_end + 1]
        head = _HEADER_RE.fullmatch(header)
        if head is None or head[1] != _VERSION:
            return None
        pos = line_end + 1
        sections = []
        while True:
            line_end = buf.find(b"\n", pos, pos + _MAX_LINE)
            if line_end < 0:
                return None if eof or pos + _MAX_LINE <= size else pos + _MAX_LINE - at
            line = buf[pos : line_end + 1]
            if line.startswith(_END):
                break
            match = _SECTION_RE.fullmatch(line)
            if match is None:
                return None
            body_end = line_end + 1 + int(match[2])
            if body_end >= size:
                return None if eof else body_end + 1 + _MAX_LINE - at
            if buf[body_end] != 10:  # the newline after the body
                return None
            sections.append((match[1].decode("ascii"), buf[line_end + 1 : body_end]))
            pos = body_end + 1
        foot = _FOOTER_RE.fullmatch(line)
        if foot is None or foot[1] != head[3]:
            return None
        if hashlib.sha256(memoryview(buf)[at:pos]).hexdigest().encode("ascii") != foot[2]:
            return None
        return header, head[2].decode("ascii"), sections, self._base + line_end + 1

    def decode(self, kind: str, sections: list[tuple[str, bytes]]) -> LogRecord | None:
        """The record, exactly as the strict path would build it; None when this path cannot tell."""
        try:
            return self._decode(kind, sections)
        except Unsure:
            return None

    def _decode(self, kind: str, sections: list[tuple[str, bytes]]) -> LogRecord:
        specs = self._sections.get(kind)
        bulk = _BULK.get(kind)
        if specs is None or bulk is None or [n for n, _ in sections] != ["META", *(s.name for s in specs)]:
            raise Unsure(kind)
        try:
            data = json.loads(sections[0][1].decode("utf-8"))
            if not isinstance(data, dict):
                raise Unsure("META")
            held: dict[str, Any] = {}
            for (name, body), spec in zip(sections[1:], specs, strict=True):
                if spec.text:
                    value: Any = body.decode("utf-8")
                elif name in bulk:
                    value = self._objects_list(body, (data.get("session_id"), name))
                else:
                    value = json.loads(body.decode("utf-8"))
                *parents, last = spec.field
                target = data
                for key in parents:
                    target = target.get(key)
                    if not isinstance(target, dict):
                        raise Unsure(key)
                if last in target:
                    raise Unsure(last)
                if name in bulk:
                    held[last] = value
                    value = []
                target[last] = value
            record = self._validate(data)
        except (ValueError, ValidationError):  # UnicodeDecodeError, JSONDecodeError: the strict path says why
            raise Unsure(kind) from None
        for field, value in held.items():
            record.__dict__[field] = value
        return record

    def _objects_list(self, body: bytes, key: tuple[Any, str]) -> list[dict[str, Any]]:
        """A bulk body as a list of objects (raises Unsure when it is anything else or not valid); `key`:
        (session id, section), whose previous body is the usual prefix of this one."""
        if self._share and body[:2] == b"[\n" and body[-2:] == b"\n]":
            # The writer's shape. If every piece between the `,\n` separators is a JSON object on its own,
            # the body is exactly the list of those objects (no JSON string holds a raw newline); otherwise
            # the whole body is parsed below, which says whether it is valid. A session's next call logs
            # the same history plus what happened since: then only the new pieces are looked at.
            head, values = self._last.pop(key, (b"", []))
            if head and body.startswith(head) and body.startswith(b",\n", len(head)):
                out = self._pieces(body[len(head) + 2 : -2].split(b",\n"), list(values))
            elif head and len(body) == len(head) + 2 and body.startswith(head):
                out = list(values)
            else:
                pieces = body.split(b",\n")
                pieces[0] = pieces[0][2:]
                pieces[-1] = pieces[-1][:-2]
                out = self._pieces(pieces, [])
            if out is not None:
                if len(self._last) >= LAST_BODIES:  # the least recently read session goes
                    del self._last[next(iter(self._last))]
                self._last[key] = (body[:-2], out)
                return out
        value = _LOADS(body.decode("utf-8"))
        if not isinstance(value, list) or not all(type(v) is dict for v in value):
            raise Unsure("bulk")
        return value

    def _pieces(self, pieces: list[bytes], out: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
        """`out` extended by the objects the pieces hold, or None when one is not a JSON object on its own.
        Parsed objects are kept by their bytes in two generations of `CACHE_BYTES` each: when the young one
        is full it becomes the old one, and an object found in the old one moves back to the young one."""
        young, old = self._objects, self._old_objects
        for piece in pieces:
            value = young.get(piece)
            if value is None:
                value = old.get(piece)
                if value is None:
                    try:
                        value = _LOADS(piece.decode("utf-8"))
                    except ValueError:
                        return None
                    if type(value) is not dict:
                        return None
                if self._cached > CACHE_BYTES:
                    self._old_objects, young, self._cached = young, {}, 0
                    self._objects = young
                young[piece] = value
                self._cached += len(piece)
            out.append(value)
        return out
