"""Logged chat messages in their written form, made once per message and reused by every row that holds it.

A session's history repeats in each later row (every SFT row and DPO prompt is the whole conversation so
far), so rendering it per row is most of a row's cost. `MessageCache.render` is `examples.trl_message`
memoized by the logged message's identity (the model-log reader shares a session's message dicts between its
records: `read_records(..., share=True)`), and `MessageCache.written` turns a row's message list into its
written form — redacted (`hygiene.redact`), tool-call arguments as JSON text (`examples.stringify_calls`) —
and into the list's JSON text, from per-message results made once. The redaction counts of a reused message
are counted again for each row, as if it had been redacted there. Everything is read-only once made. In the
two-process pass the worker renders and the main process writes: there the rendered messages arrive by value
and are `adopt`ed, so each is still written once.
Non-goals: which messages a row holds (`examples.py`, `pairs.py`), the rules of redaction (`hygiene.py`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from entropi.data.examples import stringify_calls, trl_message
from entropi.data.hygiene import redact

_json_text = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), built once

_Written = tuple[dict[str, Any], str, tuple[tuple[str, int], ...]]  # final message, its JSON, redactions


class _Entry:
    __slots__ = ("logged", "rendered", "written")

    def __init__(self, logged: Mapping[str, Any], rendered: dict[str, Any]) -> None:
        self.logged, self.rendered = logged, rendered  # held: their ids key the cache
        self.written: _Written | None = None


class MessageCache:
    """Rendered messages by logged message, and their written form by rendered message; at most `limit`
    messages (the oldest goes first)."""

    def __init__(self, limit: int = 2048) -> None:
        self.limit = limit
        self._by_logged: dict[tuple[int, bool], _Entry] = {}
        self._by_rendered: dict[int, _Entry] = {}

    def render(self, message: Mapping[str, Any], *, keep_reasoning: bool) -> dict[str, Any]:
        """`trl_message(message, keep_reasoning=...)`, the same dict each time for the same message."""
        key = (id(message), keep_reasoning)
        entry = self._by_logged.get(key)
        if entry is None:
            if len(self._by_logged) >= self.limit:  # the oldest goes: a session's history stays
                del self._by_rendered[id(self._by_logged.pop(next(iter(self._by_logged))).rendered)]
            entry = _Entry(message, trl_message(message, keep_reasoning=keep_reasoning))
            self._by_logged[key] = entry
            self._by_rendered[id(entry.rendered)] = entry
        return entry.rendered

    def shared(self, message: Mapping[str, Any]) -> bool:
        """Whether `message` is one `render` made (or `adopt` took), whose written form is made once."""
        return id(message) in self._by_rendered

    def adopt(self, message: dict[str, Any]) -> None:
        """Take `message` as rendered (the two-process pass renders in the worker and writes here); it stays
        until `forget` (the caller bounds how many it holds)."""
        self._by_rendered[id(message)] = _Entry(message, message)

    def forget(self, message: dict[str, Any]) -> None:
        """Drop an adopted message."""
        self._by_rendered.pop(id(message), None)

    def written(
        self, messages: list[dict[str, Any]], counts: Counter[str]
    ) -> tuple[list[dict[str, Any]], str]:
        """The messages redacted with tool-call arguments as JSON text, and `json.dumps` of that list
        (default separators, ensure_ascii off); `counts` gets their redactions. Messages `render` made are
        done once; others (a call's own output) each time."""
        out, texts = [], []
        for message in messages:
            entry = self._by_rendered.get(id(message))
            if entry is None:
                final, text, redactions = _write(message)
            else:
                if entry.written is None:
                    entry.written = _write(message)
                final, text, redactions = entry.written
            for kind, n in redactions:
                counts[kind] += n
            out.append(final)
            texts.append(text)
        return out, "[" + ", ".join(texts) + "]"


def _write(message: dict[str, Any]) -> _Written:
    found: Counter[str] = Counter()
    final = stringify_calls(redact(message, found))
    return final, _json_text(final), tuple(found.items())
