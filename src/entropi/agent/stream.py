"""Splits streamed model output into thinking / content / tool-call text as it arrives.

Incremental and tolerant: a tag split across pieces is held back until it is complete. The final parse of the
whole output is still ``output_parser.parse_output``; this only routes the live stream to the right channel.
"""

from __future__ import annotations

from collections.abc import Callable

from entropi.inference.output_parser import CALL_CLOSE, CALL_OPEN, THINK_CLOSE, THINK_OPEN

_TAGS = (THINK_OPEN, THINK_CLOSE, CALL_OPEN, CALL_CLOSE)
_LONGEST = max(len(t) for t in _TAGS)


class StreamSplitter:
    """Feed raw pieces; ``emit(channel, text)`` receives the routed text."""

    def __init__(self, emit: Callable[[str, str], None]) -> None:
        self._emit = emit
        self._buf = ""
        self._in_think = False
        self._in_call = False

    @property
    def channel(self) -> str:
        return "tool_call" if self._in_call else "thinking" if self._in_think else "content"

    def feed(self, piece: str) -> None:
        self._buf += piece
        while self._buf:
            at = self._buf.find("<")
            if at < 0:
                self._out(self._buf)
                self._buf = ""
                return
            if at:
                self._out(self._buf[:at])
                self._buf = self._buf[at:]
            tag = next((t for t in _TAGS if self._buf.startswith(t)), None)
            if tag is not None:
                if tag in (CALL_OPEN, CALL_CLOSE):
                    self._in_call = tag == CALL_OPEN
                else:
                    self._in_think = tag == THINK_OPEN
                self._buf = self._buf[len(tag) :]
                continue
            if any(t.startswith(self._buf) for t in _TAGS) and len(self._buf) < _LONGEST:
                return  # maybe the start of a tag: wait for more
            self._out(self._buf[0])
            self._buf = self._buf[1:]

    def flush(self) -> None:
        if self._buf:
            self._out(self._buf)
            self._buf = ""

    def _out(self, text: str) -> None:
        if text:
            self._emit(self.channel, text)
