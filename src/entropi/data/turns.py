"""Joins the model log's record stream into user turns: each model call with its tool results, approvals,
repair link, and the turn's outcome signals.

Streaming with bounded memory: at most `max_open` turns are held. A turn closes when a later turn of its
session starts, when it is the least recently active of too many open turns, or at the end of the input.
Records that arrive for a turn already closed (or whose model call was never seen) are counted as orphans,
not lost silently. Non-goals: reading the file format (`entropi.modellog` does), labelling (`labels.py`).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from entropi.modellog import (
    ApprovalRecord,
    LogRecord,
    ModelCallRecord,
    OutcomeRecord,
    ToolResultRecord,
)

INTERNAL_PREFIX = "[entropi] "


@dataclass
class Call:
    """One model call and what happened to the calls it made."""

    record: ModelCallRecord
    results: dict[str, ToolResultRecord] = field(default_factory=dict)
    approvals: dict[str, ApprovalRecord] = field(default_factory=dict)
    repaired: bool = False  # a later call re-asked because this output was unusable

    @property
    def tier(self) -> str:
        return self.record.tier


@dataclass
class Turn:
    """One user query of one session: its model calls in log order and its outcome signals."""

    session_id: str
    turn_index: int
    calls: list[Call] = field(default_factory=list)
    outcomes: list[OutcomeRecord] = field(default_factory=list)

    @property
    def source(self) -> str:
        """`log`, or the source a record carries (self-play and synthetic logs)."""
        first = self.calls[0].record if self.calls else None
        return str(getattr(first, "source", None) or "log")

    @property
    def query(self) -> str | None:
        """The user's text for this turn, from the first call's messages."""
        if not self.calls:
            return None
        messages = self.calls[0].record.messages
        index = query_index(messages)
        return None if index is None else str(messages[index].get("content") or "")


def is_internal(message: dict) -> bool:
    """A user-role message entropi wrote itself (repair request, todo anchor, compaction summary)."""
    return message.get("role") == "user" and str(message.get("content") or "").startswith(INTERNAL_PREFIX)


def query_index(messages: list[dict]) -> int | None:
    """Index of the last user message a person wrote, or None."""
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user" and not is_internal(messages[index]):
            return index
    return None


class TurnJoiner:
    """Feeds records in log order; yields turns as they close. `stats` counts what could not be joined."""

    def __init__(self, stats: Counter[str], *, max_open: int = 64) -> None:
        if max_open < 1:
            raise ValueError(f"max_open must be at least 1, got {max_open}")
        self.stats = stats
        self.max_open = max_open
        self._open: OrderedDict[tuple[str, int], Turn] = OrderedDict()
        self._by_session: dict[str, set[tuple[str, int]]] = {}  # the keys of `_open`, per session
        self._calls: dict[str, Call] = {}

    def feed(self, record: LogRecord) -> list[Turn]:
        """Add one record; returns the turns it closed."""
        self.stats[f"records_{record.kind}"] += 1
        key = (record.session_id, record.turn_index)
        closed = self._close_earlier(key) if isinstance(record, ModelCallRecord) else []
        if isinstance(record, ModelCallRecord):
            turn = self._turn(key)
            if record.repair_of and record.repair_of in self._calls:
                self._calls[record.repair_of].repaired = True
            call = Call(record)
            turn.calls.append(call)
            self._calls[record.record_id] = call
        elif isinstance(record, ToolResultRecord | ApprovalRecord):
            call = self._calls.get(record.call_record_id)
            if call is None:
                self.stats[f"orphan_{record.kind}"] += 1
            elif isinstance(record, ToolResultRecord):
                call.results[record.tool_call_id] = record
            else:
                call.approvals[record.tool_call_id] = record
        elif isinstance(record, OutcomeRecord):
            self._turn(key).outcomes.append(record)
        if key in self._open:
            self._open.move_to_end(key)
        while len(self._open) > self.max_open:
            self.stats["turns_closed_early"] += 1
            closed.append(self._close(next(iter(self._open))))
        return closed

    def finish(self) -> list[Turn]:
        """Close every open turn."""
        return [self._close(key) for key in list(self._open)]

    def _turn(self, key: tuple[str, int]) -> Turn:
        turn = self._open.get(key)
        if turn is None:
            turn = self._open[key] = Turn(*key)
            self._by_session.setdefault(key[0], set()).add(key)
        return turn

    def _close_earlier(self, key: tuple[str, int]) -> list[Turn]:
        session, index = key
        earlier = {k for k in self._by_session.get(session, ()) if k[1] < index}
        ordered = [k for k in self._open if k in earlier] if len(earlier) > 1 else list(earlier)
        return [self._close(k) for k in ordered]  # in the order they are open, as ever

    def _close(self, key: tuple[str, int]) -> Turn:
        turn = self._open.pop(key)
        keys = self._by_session[key[0]]
        keys.discard(key)
        if not keys:
            del self._by_session[key[0]]
        for call in turn.calls:
            self._calls.pop(call.record.record_id, None)
        if not turn.calls:
            self.stats["outcome_without_model_call"] += len(turn.outcomes)
        return turn


def join_turns(records: Iterable[LogRecord], stats: Counter[str], *, max_open: int = 64) -> Iterator[Turn]:
    """Turns from a record stream, each yielded once it is complete (see the module docstring)."""
    joiner = TurnJoiner(stats, max_open=max_open)
    for record in records:
        yield from (t for t in joiner.feed(record) if t.calls)
    yield from (t for t in joiner.finish() if t.calls)
