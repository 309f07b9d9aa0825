"""The extraction pipeline: model logs → labelled, redacted, deduplicated, split per-tier SFT and DPO sets.

One streaming pass over the logs (through `entropi.modellog.read_records`, oldest file first): records are
joined into turns, turns labelled, rows built, redacted, deduplicated, split by session and written at once.
DPO drafts that wait for a resampled chosen are spilled to disk and resolved after the pass, then the replay
mix is added, then the HF copies, card and report are written. Memory stays bounded by the open turns, not
the log size (plus the dedup state: see `dedup.py`).
Non-goals: the CLI (`cli.py`), the rules themselves (`labels.py`, `coherence.py`, `pairs.py`, `hygiene.py`).
"""

from __future__ import annotations

import gc
import glob
import json
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from entropi.config.schema import TIERS
from entropi.data import export, replay
from entropi.data.dedup import Deduper
from entropi.data.examples import finalize, output_message, sft_candidates
from entropi.data.hygiene import is_eval, redact, redact_json, redact_row
from entropi.data.labels import label_turn, prepare
from entropi.data.messages import MessageCache
from entropi.data.pairs import PairDraft, pair_drafts, prompt_key
from entropi.data.report import Report, summary
from entropi.data.resample import ResamplePool
from entropi.data.turns import Turn, join_turns, query_index
from entropi.modellog import LogRecord, ModelCallRecord, log_files, read_records
from entropi.tasks import Task, load_tasks

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, total bytes); the per-record part is an estimate, exact at file ends."""

_MESSAGE_KEYS = ("messages", "prompt", "chosen", "rejected")
_json_text = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), built once
_CONTENT_KEYS = {
    "sft": ("tier", "messages", "tools"),
    "dpo": ("tier", "prompt", "chosen", "rejected", "tools"),
}


class ExtractError(ValueError):
    """Bad options or inputs, found before anything is read."""


@dataclass(frozen=True)
class ExtractOptions:
    """What to extract and how. Defaults match the CLI."""

    tiers: tuple[str, ...] = TIERS
    eval_fraction: float = 0.2
    seed: int = 0
    replay: Path | None = None
    replay_fraction: float = 0.1
    max_open_turns: int = 64
    near_dup_threshold: float = 0.9
    hf_copy: bool = True

    def check(self) -> None:
        unknown = [t for t in self.tiers if t not in TIERS]
        if not self.tiers or unknown:
            raise ExtractError(f"unknown tier(s) {unknown or '(none given)'}; tiers are {', '.join(TIERS)}")
        if not 0.0 <= self.eval_fraction <= 1.0:
            raise ExtractError(f"--eval-fraction must be within [0, 1], got {self.eval_fraction}")
        if not 0.0 <= self.replay_fraction < 1.0:
            raise ExtractError(f"--replay-fraction must be within [0, 1), got {self.replay_fraction}")
        if self.replay is not None and not Path(self.replay).is_file():
            raise ExtractError(f"--replay file {self.replay} does not exist")


def expand_logs(patterns: Sequence[str]) -> list[Path]:
    """Log files for glob patterns, each log with its rotated files, oldest first, no file twice."""
    out: dict[Path, None] = {}
    for pattern in patterns:
        matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise ExtractError(f"--logs {pattern!r} matches no file")
        for path in files:
            rotated = re.fullmatch(r"(.+)\.[0-9]+", path.name)
            group = log_files(path.with_name(rotated.group(1)) if rotated else path)
            for member in group if path in group else [path]:
                out.setdefault(member, None)
    return list(out)


def _size_hint(record: LogRecord) -> int:
    if isinstance(record, ModelCallRecord):  # the messages are about as long as the prompt rendered from them
        return 1500 + 3 * len(record.prompt) + 2 * len(record.raw_output)
    return 600 + len(getattr(record, "content", "") or "")


def _target_text(messages: list[dict[str, Any]]) -> str:
    """The part of a conversation a row trains on: the last query and everything after it."""
    parts = []
    for m in messages[query_index(messages) or 0 :]:
        parts += [m.get("content") or "", m.get("reasoning_content") or ""]
        parts += [f"{c['function']['name']} {c['function']['arguments']}" for c in m.get("tool_calls") or []]
    return "\n".join(parts)


class _Pipeline:
    def __init__(self, out: Path, options: ExtractOptions, tasks: Sequence[Task]) -> None:
        self.out, self.options = out, options
        self.report = Report(
            options={k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()}
        )
        self.tiers = set(options.tiers)
        self.tasks = {t.id: t for t in tasks}
        self.by_prompt = {" ".join(t.prompt.split()): t for t in tasks}
        self.writer = export.SplitWriter(out, options.tiers)
        self.dedup = {k: Deduper(threshold=options.near_dup_threshold) for k in export.KINDS}
        self.pool = ResamplePool(out / ".work" / "spill")
        self.messages = MessageCache()  # each history message rendered, redacted and serialized once
        prepare()  # the labels' one-time work (tool registry, rule patterns), before the pass is timed
        # Taxonomy coordinates of sessions whose log names a task (self-play outcome records): a few strings
        # per synthetic session, none for real use; kept for the pairs resolved after the pass.
        self.task_axes: dict[str, dict[str, str]] = {}

    def records(self, paths: Sequence[Path], progress: Progress | None) -> Iterator[LogRecord]:
        total = sum(p.stat().st_size for p in paths if p.exists())
        done = 0
        for path in paths:
            size = path.stat().st_size if path.exists() else 0
            start = done
            for record in read_records([path], errors=self.report.read_errors, share=True):
                done = min(done + _size_hint(record), start + size)
                if progress is not None:
                    progress(done, total)
                yield record
            done = start + size
            self.report.files.append(str(path))
            self.report.bytes_read += size
            if progress is not None:
                progress(done, total)

    def turn(self, turn: Turn) -> None:
        """Label one turn and emit its rows; everything is built before anything is written or counted, so a
        turn that fails (see `extract`) leaves no trace but its error count."""
        labels = label_turn(turn)
        task = self.by_prompt.get(" ".join((turn.query or "").split()))
        redactions: Counter[str] = Counter()
        sft_skips: Counter[str] = Counter()
        sft = []
        for cand in sft_candidates(turn, labels, task.id if task else None, self.messages.render):
            if cand.tier not in self.tiers:
                sft_skips["tier_not_selected"] += 1
            elif cand.row is None:
                sft_skips[cand.skip or "unknown"] += 1
            else:
                sft.append(self.written(cand.row, redactions))
        goods = [
            (
                prompt_key(c.tier, c.record.prompt, c.record.messages),
                redact(output_message(c), redactions),
                c.record.record_id,
            )
            for c, lb in zip(turn.calls, labels, strict=True)
            if lb.good and c.tier in self.tiers
        ]
        pair_skips: dict[str, int] = {}
        pairs, pending = [], []
        for draft in pair_drafts(turn, labels, self.tiers, task, pair_skips, self.messages.render):
            row, texts = self.written(draft.row, redactions)
            if row["chosen"] is not None:
                pairs.append((row, texts))
            else:
                gold = redact(draft.gold, redactions) if draft.gold else None
                pending.append(PairDraft(row, draft.prompt_key, gold))
        for outcome in turn.outcomes:  # taxonomy coverage: the coordinates the run logged
            if outcome.task is not None and outcome.task.coordinates:
                self.task_axes[turn.session_id] = outcome.task.coordinates
        self.report.count_calls(turn, labels)
        self.report.redactions.update(redactions)
        self.report.sft["skipped"].update(sft_skips)
        self.report.dpo["skipped"].update(pair_skips)
        for row, texts in sft:
            self.emit("sft", row, texts=texts)
        for good in goods:
            self.pool.add_good(*good)
        for row, texts in pairs:
            self.emit("dpo", row, texts=texts)
        for draft in pending:
            self.pool.defer(draft)

    def written(self, row: dict[str, Any], counts: Counter[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """`finalize(redact_row(row, counts))`, and the JSON text of its message lists: their messages are
        made once each (`MessageCache`), as a session's history recurs in its later rows."""
        out: dict[str, Any] = {}
        texts: dict[str, str] = {}
        for key, value in row.items():
            if key in _MESSAGE_KEYS and type(value) is list:
                out[key], texts[key] = self.messages.written(value, counts)
            elif key == "tools" and not isinstance(value, str):
                out[key] = redact_json(value, counts)
            else:
                out[key] = redact(value, counts)
        return out, texts

    def emit(
        self, kind: str, row: dict[str, Any], split: str | None = None, texts: dict[str, str] | None = None
    ) -> None:
        """Finalize, dedup, split and write one (already redacted) row; `texts`: the JSON text of some of
        its values, when the row comes from `written` (finalized already)."""
        if texts is None:
            row, texts = finalize(row), {}  # finalize: a no-op on a finalized row
        body = row["messages"] if kind == "sft" else [*row["prompt"], *row["chosen"], *row["rejected"]]
        # Each value serialized once: the exact-dedup key and the written line are both joined from the parts,
        # byte for byte what json.dumps of the list and of the row would give (default separators).
        parts = {k: texts[k] if k in texts else _json_text(v) for k, v in row.items()}
        exact = "[" + ", ".join(parts[k] for k in _CONTENT_KEYS[kind]) + "]"
        duplicate = self.dedup[kind].check(exact, f"{row['tier']}\n{_target_text(body)}")
        part = self.report.sft if kind == "sft" else self.report.dpo
        if duplicate:
            part["skipped"][f"duplicate_{duplicate}"] += 1
            return
        if split is None:
            split = (
                "eval"
                if is_eval(
                    row["session_id"], seed=self.options.seed, eval_fraction=self.options.eval_fraction
                )
                else "train"
            )
        if all(type(k) is str for k in parts):
            line = "{" + ", ".join(f"{_json_text(k)}: {v}" for k, v in parts.items())
            line += "}"
        else:  # json.dumps turns other keys into strings its own way
            line = json.dumps(row, ensure_ascii=False)
        self.writer.write_line(row["tier"], kind, split, line)
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
        for row, skip in self.pool.resolve():
            if row is None:
                self.report.dpo["skipped"][skip or "unknown"] += 1
            else:
                self.emit("dpo", row)

    def add_replay(self) -> None:
        path = self.options.replay
        if path is None or self.options.replay_fraction == 0:
            return
        for index, tier in enumerate(self.options.tiers):
            k = replay.replay_count(self.writer.counts[(tier, "sft", "train")], self.options.replay_fraction)
            for number, messages in replay.sample(
                Path(path), k, self.options.seed * 31 + index, self.report.replay
            ):
                row = redact_row(replay.replay_row(tier, number, messages), self.report.redactions)
                before = self.writer.counts[(tier, "sft", "train")]
                self.emit("sft", row, split="train")
                self.report.replay[f"added_{tier}"] += self.writer.counts[(tier, "sft", "train")] - before


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """Keeps the objects that exist before the pass (the imported libraries: `datasets` alone brings ~90k)
    out of the garbage collector's full collections during it, and hands them back after. Left alone when
    the process has frozen objects itself."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def extract(
    logs: Sequence[Path],
    out: Path,
    options: ExtractOptions | None = None,
    *,
    tasks: Sequence[Task] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run the whole extraction into `out`; returns the report (also written as report.json)."""
    options = options or ExtractOptions()
    options.check()
    if options.hf_copy:
        try:
            import datasets  # noqa: F401
        except ImportError:
            raise ExtractError("the HF copy needs `datasets`: pip install 'entropi[train]'") from None
    export.prepare_out_dir(out, TIERS)
    suite = list(tasks) if tasks is not None else load_tasks()
    pipe = _Pipeline(out, options, suite)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        with _gc_frozen():
            records = pipe.records(logs, progress)
            for turn in join_turns(records, pipe.report.join, max_open=options.max_open_turns):
                try:
                    pipe.turn(turn)
                except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
                    # Records are valid JSON but their message payloads are free-form: one odd turn must not
                    # end the run. It is counted and sampled in the report.
                    pipe.report.turn_error(turn.session_id, turn.turn_index, exc)
            pipe.finish_pairs()
        pipe.report.seconds = time.perf_counter() - started
        pipe.report.cpu_seconds = time.process_time() - cpu_started
        pipe.add_replay()
        pipe.writer.close()
        if options.hf_copy:
            for tier in options.tiers:
                export.save_hf(out, tier, pipe.writer.counts, out / ".work" / "hf-cache")
    finally:
        pipe.writer.close()
        pipe.pool.close()
        shutil.rmtree(out / ".work", ignore_errors=True)
    report = pipe.report.to_dict(suite)
    export.write_reports(out, report, summary(report), export.card(report, options.tiers, pipe.writer.counts))
    return report
