"""The second half of the extraction pass: a turn's rows (`build.TurnRows`) → redacted, deduplicated, split
and written, in turn order; then the resampled pairs and the replay mix.

`RowSink.apply` first makes every row of the turn in its written form (redacted, tool-call arguments as JSON
text, the JSON text of its message lists), and only then counts and emits them, so a turn that fails leaves
no trace but its error count. Each value is serialized once: the exact-dedup key, the written line and the
spilled drafts are joined from the same pieces, byte for byte what `json.dumps` of the list or row gives; a
history message (`MessageCache`) and a session's tools list (one list object, `examples.openai_tools`) are
redacted and serialized once for all the rows that hold them.
Non-goals: building rows (`build.py`), the rules of redaction and dedup (`hygiene.py`, `dedup.py`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from entropi.data import export, replay
from entropi.data.build import TURN_ERRORS, TurnRows
from entropi.data.dedup import Deduper
from entropi.data.examples import finalize
from entropi.data.hygiene import is_eval, redact, redact_row, redacted_json
from entropi.data.memo import MISSING, IdMemo
from entropi.data.messages import MessageCache
from entropi.data.pairs import PairDraft
from entropi.data.report import Report
from entropi.data.resample import ResamplePool
from entropi.data.turns import query_index
from entropi.tasks import Task

_MESSAGE_KEYS = ("messages", "prompt", "chosen", "rejected")
_json_text = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), built once
_CONTENT_KEYS = {
    "sft": ("tier", "messages", "tools"),
    "dpo": ("tier", "prompt", "chosen", "rejected", "tools"),
}
_KEY_TEXT: dict[str, str] = {}  # a row key → its JSON text (the keys are a fixed few)
_Texts = dict[str, str]


def _key_text(key: str) -> str:
    text = _KEY_TEXT.get(key)
    if text is None:
        text = _KEY_TEXT[key] = _json_text(key)
    return text


def _target_text(messages: list[dict[str, Any]]) -> str:
    """The part of a conversation a row trains on: the last query and everything after it."""
    parts = []
    for m in messages[query_index(messages) or 0 :]:
        parts += [m.get("content") or "", m.get("reasoning_content") or ""]
        parts += [f"{c['function']['name']} {c['function']['arguments']}" for c in m.get("tool_calls") or []]
    return "\n".join(parts)


def _row_text(row: dict[str, Any], parts: dict[str, str]) -> str:
    """`json.dumps(row, ensure_ascii=False)` joined from the JSON text of each value."""
    if all(type(k) is str for k in parts):
        return "{" + ", ".join([f"{_key_text(k)}: {v}" for k, v in parts.items()]) + "}"
    return json.dumps(row, ensure_ascii=False)  # json.dumps turns other keys into strings its own way


class RowSink:
    """Hygiene, dedup, split and writing for the turns of one extraction, in the order they are applied."""

    def __init__(
        self,
        out: Path,
        tiers: Sequence[str],
        seed: int,
        eval_fraction: float,
        near_dup_threshold: float,
        tasks: Sequence[Task],
        report: Report,
        messages: MessageCache,
    ) -> None:
        self.tiers, self.seed, self.eval_fraction = tuple(tiers), seed, eval_fraction
        self.tasks = {t.id: t for t in tasks}
        self.report = report
        self.messages = messages  # each history message redacted and serialized once
        self._tools: IdMemo[tuple[str, tuple[tuple[str, int], ...]]] = IdMemo(1024)  # tools list → written
        self._tools_json: dict[str, str] = {}  # written tools → its JSON text (a JSON string)
        self.writer = export.SplitWriter(out, tiers)
        self.dedup = {k: Deduper(threshold=near_dup_threshold) for k in export.KINDS}
        self.pool = ResamplePool(out / ".work" / "spill")
        # Taxonomy coordinates of sessions whose log names a task (self-play outcome records): a few strings
        # per synthetic session, none for real use; kept for the pairs resolved after the pass.
        self.task_axes: dict[str, dict[str, str]] = {}

    def apply(self, rows: TurnRows) -> None:
        """Redact the turn's rows, then count and emit them (a failure in the first part skips the turn)."""
        redactions: Counter[str] = Counter()
        try:
            sft = [self.written(row, redactions) for row in rows.sft]
            goods = [(key, redact(message, redactions), rid) for key, message, rid in rows.goods]
            pairs, pending = [], []
            for draft in rows.drafts:
                row, texts = self.written(draft.row, redactions)
                if row["chosen"] is not None:
                    pairs.append((row, texts))
                else:
                    gold = redact(draft.gold, redactions) if draft.gold else None
                    pending.append((PairDraft(row, draft.prompt_key, gold), texts))
        except TURN_ERRORS as exc:
            self.report.turn_error(rows.session_id, rows.turn_index, exc)
            return
        if rows.task_axes is not None:
            self.task_axes[rows.session_id] = rows.task_axes
        self.report.redactions.update(redactions)
        self.report.sft["skipped"].update(rows.sft_skips)
        self.report.dpo["skipped"].update(rows.pair_skips)
        for row, texts in sft:
            self.emit("sft", row, texts=texts)
        for good in goods:
            self.pool.add_good(*good)
        for row, texts in pairs:
            self.emit("dpo", row, texts=texts)
        for draft, texts in pending:
            self.pool.defer(draft, _row_text(draft.row, self._parts(draft.row, texts)))

    def written(self, row: dict[str, Any], counts: Counter[str]) -> tuple[dict[str, Any], _Texts]:
        """`finalize(redact_row(row, counts))`, and the JSON text of its message lists: their messages are
        made once each (`MessageCache`), as a session's history recurs in its later rows."""
        out: dict[str, Any] = {}
        texts: _Texts = {}
        for key, value in row.items():
            if key in _MESSAGE_KEYS and type(value) is list:
                out[key], texts[key] = self.messages.written(value, counts)
            elif key == "tools" and not isinstance(value, str):
                found = self._tools.get(value)  # a session's rows share one tools list (`openai_tools`)
                if found is MISSING:
                    found = self._tools.put(value, redacted_json(value))
                out[key] = found[0]
                for kind, n in found[1]:
                    counts[kind] += n
            else:
                out[key] = redact(value, counts)
        return out, texts

    def _parts(self, row: dict[str, Any], texts: _Texts) -> dict[str, str]:
        """The JSON text of each value of the row (`texts` has some already)."""
        parts = {}
        for key, value in row.items():
            if key in texts:
                parts[key] = texts[key]
            elif key == "tools" and type(value) is str:  # the same text, row after row
                text = self._tools_json.get(value)
                if text is None:
                    if len(self._tools_json) >= 256:
                        self._tools_json.clear()
                    text = self._tools_json[value] = _json_text(value)
                parts[key] = text
            else:
                parts[key] = _json_text(value)
        return parts

    def emit(
        self, kind: str, row: dict[str, Any], split: str | None = None, texts: _Texts | None = None
    ) -> None:
        """Finalize, dedup, split and write one (already redacted) row; `texts`: the JSON text of some of
        its values, when the row comes from `written` (finalized already)."""
        if texts is None:
            row, texts = finalize(row), {}  # finalize: a no-op on a finalized row
        body = row["messages"] if kind == "sft" else [*row["prompt"], *row["chosen"], *row["rejected"]]
        parts = self._parts(row, texts)
        exact = "[" + ", ".join([parts[k] for k in _CONTENT_KEYS[kind]]) + "]"
        duplicate = self.dedup[kind].check(exact, f"{row['tier']}\n{_target_text(body)}")
        part = self.report.sft if kind == "sft" else self.report.dpo
        if duplicate:
            part["skipped"][f"duplicate_{duplicate}"] += 1
            return
        if split is None:
            held_out = is_eval(row["session_id"], seed=self.seed, eval_fraction=self.eval_fraction)
            split = "eval" if held_out else "train"
        self.writer.write_line(row["tier"], kind, split, _row_text(row, parts))
        part["rows"][f"{row['tier']}/{split}"] += 1
        part["by_source"][row["source"]] += 1
        if kind == "dpo":
            part["by_pair_type"][row["pair_type"]] += 1
            part["by_chosen_source"][row["chosen_source"]] += 1
        elif row.get("truncated"):
            part["truncated"]["rows"] += 1
        self.report.count_task_row(kind, self.tasks.get(row.get("task_id") or ""))
        self.report.count_taxonomy(kind, self.task_axes.get(row["session_id"]))

    def finish_pairs(self) -> None:
        """Emit the drafts that waited for a resampled (or gold) chosen."""
        for row, skip in self.pool.resolve():
            if row is None:
                self.report.dpo["skipped"][skip or "unknown"] += 1
            else:
                self.emit("dpo", row)

    def add_replay(self, path: Path | None, fraction: float, seed: int) -> None:
        """The general-chat replay mix, added to each tier's SFT train split."""
        if path is None or fraction == 0:
            return
        for index, tier in enumerate(self.tiers):
            k = replay.replay_count(self.writer.counts[(tier, "sft", "train")], fraction)
            for number, messages in replay.sample(Path(path), k, seed * 31 + index, self.report.replay):
                row = redact_row(replay.replay_row(tier, number, messages), self.report.redactions)
                before = self.writer.counts[(tier, "sft", "train")]
                self.emit("sft", row, split="train")
                self.report.replay[f"added_{tier}"] += self.writer.counts[(tier, "sft", "train")] - before

    def close(self) -> None:
        self.writer.close()
        self.pool.close()
