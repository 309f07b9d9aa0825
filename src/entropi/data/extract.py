"""The extraction pipeline: model logs → labelled, redacted, deduplicated, split per-tier SFT and DPO sets.

One streaming pass over the logs (through `entropi.modellog.read_records`, oldest file first): records are
joined into turns, turns labelled and their rows built (`build.py`), then redacted, deduplicated, split by
session and written at once (`sink.py`) — in one process, or with the first half in a worker process
(`workers=2`, `parallel.py`; same output bytes). DPO drafts that wait for a resampled chosen are spilled to
disk and resolved after the pass, then the replay mix is added, then the HF copies, card and report are
written. Memory stays bounded by the open turns, not the log size (plus the dedup state: see `dedup.py`).
Non-goals: the CLI (`cli.py`), the rules themselves (`labels.py`, `coherence.py`, `pairs.py`, `hygiene.py`).
"""

from __future__ import annotations

import gc
import glob
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from entropi.config.schema import TIERS
from entropi.data import export, parallel
from entropi.data.build import TurnBuilder
from entropi.data.labels import prepare
from entropi.data.messages import MessageCache
from entropi.data.report import Report, summary
from entropi.data.sink import RowSink
from entropi.data.turns import Turn, join_turns
from entropi.modellog import LogRecord, ModelCallRecord, log_files, read_records
from entropi.tasks import Task, load_tasks

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, total bytes); the per-record part is an estimate, exact at file ends."""


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


def records(paths: Sequence[Path], report: Report, progress: Progress | None) -> Iterator[LogRecord]:
    """The records of `paths`, read as the pass reads them (`share=True`); files, bytes and read errors go
    to `report`."""
    total = sum(p.stat().st_size for p in paths if p.exists())
    done = 0
    for path in paths:
        size = path.stat().st_size if path.exists() else 0
        start = done
        for record in read_records([path], errors=report.read_errors, share=True):
            done = min(done + _size_hint(record), start + size)
            if progress is not None:
                progress(done, total)
            yield record
        done = start + size
        report.files.append(str(path))
        report.bytes_read += size
        if progress is not None:
            progress(done, total)


def default_workers() -> int:
    """The CLI's default `workers`: 2 where there are two cores to use (and the pass can fork), else 1."""
    return 2 if (os.cpu_count() or 1) >= 2 and parallel.available() else 1


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
    workers: int = 1,
) -> dict[str, Any]:
    """Run the whole extraction into `out`; returns the report (also written as report.json).

    `workers=2` runs the streaming pass in two processes (`parallel.py`; the output is the same bytes)."""
    options = options or ExtractOptions()
    options.check()
    if workers not in (1, 2):
        raise ExtractError(f"--workers must be 1 or 2, got {workers}")
    if workers == 2 and not parallel.available():
        workers = 1  # no fork on this platform
    if options.hf_copy:
        try:
            import datasets  # noqa: F401
        except ImportError:
            raise ExtractError("the HF copy needs `datasets`: pip install 'entropi[train]'") from None
    export.prepare_out_dir(out, TIERS)
    suite = list(tasks) if tasks is not None else load_tasks()
    report = Report(options={k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()})
    report.workers = workers
    messages = MessageCache()  # each history message rendered, redacted and serialized once
    builder = TurnBuilder(options.tiers, suite, report, messages)
    sink = RowSink(
        out,
        options.tiers,
        options.seed,
        options.eval_fraction,
        options.near_dup_threshold,
        suite,
        report,
        messages,
    )
    prepare()  # the labels' one-time work (tool registry, rule patterns), before the pass is timed

    def read_turns(counts: Report, seen: Progress | None) -> Iterator[Turn]:
        return join_turns(records(logs, counts, seen), counts.join, max_open=options.max_open_turns)

    started, cpu_started = time.perf_counter(), time.process_time()
    worker_cpu = 0.0
    try:
        with _gc_frozen():
            if workers == 2:
                worker_cpu = parallel.run(read_turns, builder, sink, progress)
            else:
                for rows in builder.each(read_turns(report, progress)):
                    sink.apply(rows)
            sink.finish_pairs()
        report.seconds = time.perf_counter() - started
        report.cpu_seconds = time.process_time() - cpu_started + worker_cpu
        report.worker_cpu_seconds = worker_cpu
        sink.add_replay(options.replay, options.replay_fraction, options.seed)
        sink.writer.close()
        if options.hf_copy:
            for tier in options.tiers:
                export.save_hf(out, tier, sink.writer.counts, out / ".work" / "hf-cache")
    finally:
        sink.close()
        shutil.rmtree(out / ".work", ignore_errors=True)
    result = report.to_dict(suite)
    export.write_reports(out, result, summary(result), export.card(result, options.tiers, sink.writer.counts))
    return result
