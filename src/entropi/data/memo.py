"""A bounded memo keyed by object identity, for values derived from the read-only payloads the model-log
reader shares between records (`read_records(..., share=True)`: a session's history is one set of dicts).

An entry holds its key objects, so their ids cannot be reused while it lives; the memo is emptied when it
holds `limit` entries. Keys must be objects nobody mutates (the shared payloads, values derived from them).
Non-goals: content-keyed caching (that needs hashing the content, which is what this avoids).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

V = TypeVar("V")
MISSING: Any = object()


class IdMemo(Generic[V]):
    """`get(key)` → the value stored for these very objects, or MISSING; `put(key, value)` stores it."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._entries: dict[Any, tuple[Any, V]] = {}

    @staticmethod
    def _id(key: Any) -> Any:
        return tuple(map(id, key)) if type(key) is tuple else id(key)

    def get(self, key: Any) -> V:
        entry = self._entries.get(self._id(key))
        return MISSING if entry is None else entry[1]

    def put(self, key: Any, value: V) -> V:
        if len(self._entries) >= self.limit:
            self._entries.clear()
        self._entries[self._id(key)] = (key, value)
        return value
