"""The first half of the extraction pass: one joined turn → its labels and its rows before hygiene.

`TurnBuilder.build` labels the turn's calls, builds its SFT candidates, resample candidates ("goods") and DPO
drafts, and counts the calls into the report; redaction, dedup, the split and writing are the other half's
(`sink.py`). The halves meet in a `TurnRows`, which is all the second half needs of a turn: in the two-process
pass (`parallel.py`) it is what crosses from the worker to the main process.
Non-goals: the rules themselves (`labels.py`, `examples.py`, `pairs.py`), hygiene (`sink.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from entropi.data.examples import output_message, sft_candidates
from entropi.data.labels import label_turn
from entropi.data.messages import MessageCache
from entropi.data.pairs import PairDraft, pair_drafts, prompt_key
from entropi.data.report import Report
from entropi.data.turns import Turn
from entropi.tasks import Task

TURN_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError)
"""What a turn with odd free-form payloads raises: the turn is skipped and counted (`Report.turn_error`)."""


@dataclass
class TurnRows:
    """One turn's rows before hygiene, in the order they are emitted, and what building them counted."""

    session_id: str
    turn_index: int
    sft: list[dict[str, Any]] = field(default_factory=list)
    sft_skips: dict[str, int] = field(default_factory=dict)  # plain dicts: they cross a pipe cheaper
    goods: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)  # (prompt key, output, id)
    drafts: list[PairDraft] = field(default_factory=list)
    pair_skips: dict[str, int] = field(default_factory=dict)
    task_axes: dict[str, str] | None = None  # the taxonomy coordinates the turn's outcomes logged


class TurnBuilder:
    """Builds `TurnRows`; counts each built turn's calls into `report.calls`, which only this half touches."""

    def __init__(self, tiers: Sequence[str], tasks: Sequence[Task], report: Report, messages: MessageCache):
        self.tiers = set(tiers)
        self.by_prompt = {" ".join(t.prompt.split()): t for t in tasks}
        self.report = report
        self.messages = messages  # each history message rendered once for every row that holds it

    def each(self, turns: Iterable[Turn]) -> Iterator[TurnRows]:
        """`build` of each turn. Records are valid JSON but their message payloads are free-form: a turn that
        raises one of `TURN_ERRORS` is skipped, counted and sampled in the report, and the run goes on."""
        for turn in turns:
            try:
                yield self.build(turn)
            except TURN_ERRORS as exc:
                self.report.turn_error(turn.session_id, turn.turn_index, exc)

    def build(self, turn: Turn) -> TurnRows:
        """The turn's rows; raises one of `TURN_ERRORS` (and counts nothing) on a malformed payload."""
        labels = label_turn(turn)
        task = self.by_prompt.get(" ".join((turn.query or "").split()))
        rows = TurnRows(turn.session_id, turn.turn_index)
        render = self.messages.render
        skips = rows.sft_skips
        for cand in sft_candidates(turn, labels, task.id if task else None, render):
            if cand.row is not None and cand.tier in self.tiers:
                rows.sft.append(cand.row)
            else:
                why = "tier_not_selected" if cand.tier not in self.tiers else cand.skip or "unknown"
                skips[why] = skips.get(why, 0) + 1
        rows.goods = [
            (prompt_key(c.tier, c.record.messages), output_message(c), c.record.record_id)
            for c, lb in zip(turn.calls, labels, strict=True)
            if lb.good and c.tier in self.tiers
        ]
        rows.drafts = list(pair_drafts(turn, labels, self.tiers, task, rows.pair_skips, render))
        for outcome in turn.outcomes:  # taxonomy coverage: the coordinates the run logged (the last wins)
            if outcome.task is not None and outcome.task.coordinates:
                rows.task_axes = outcome.task.coordinates
        self.report.count_calls(turn, labels)
        return rows
