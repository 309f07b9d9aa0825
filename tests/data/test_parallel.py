"""The two-process pass (`parallel.py`): the same bytes as one process, in order, deterministic; worker errors
reach the caller with a clear message and nothing hangs."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from test_corrupt_logs import blocks, damage

from entropi.data import parallel
from entropi.data.build import TurnBuilder, TurnRows
from entropi.data.extract import ExtractOptions, default_workers, extract
from entropi.data.messages import MessageCache
from entropi.data.pairs import PairDraft
from entropi.data.sink import RowSink

pytestmark = pytest.mark.skipif(not parallel.available(), reason="the two-process pass forks")


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fails the test instead of letting it hang."""

    def expired(*_: Any) -> None:
        raise TimeoutError(f"no result within {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def outputs(out: Path, report: dict[str, Any]) -> dict[str, Any]:
    """Every output file's bytes, and the report without its timings."""
    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.jsonl"))}
    timings = ("seconds", "cpu_seconds", "worker_cpu_seconds", "mb_per_s")
    inputs = {k: v for k, v in report["inputs"].items() if k not in timings}
    inputs.pop("workers")
    return {"files": files, "report": {**report, "inputs": inputs}}


def both(logs: list[Path], tmp_path: Path, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    got = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        with deadline(120):
            report = extract(logs, out, ExtractOptions(hf_copy=False), tasks=[], workers=workers, **kwargs)
        assert report["inputs"]["workers"] == workers
        got.append(outputs(out, report))
    return got[0], got[1]


def test_same_bytes_as_one_process_on_the_scenario_logs(corpus, tmp_path):
    one, two = both([corpus["project"], *corpus["tasks"]], tmp_path)
    assert any(one["files"].values()) and one["report"]["inputs"]["read_errors"] == 0
    assert two == one


@pytest.mark.parametrize("how", ["record_cut_mid_json", "bit_flip_in_a_body", "random_bytes_between_records"])
def test_same_bytes_as_one_process_on_a_damaged_log(corpus, tmp_path, how):
    data, _ = damage(blocks(corpus["project"].read_bytes()), how)
    log = tmp_path / "model.log"
    log.write_bytes(data)
    one, two = both([log, tmp_path / "missing.log"], tmp_path)
    assert one["report"]["inputs"]["read_errors"] >= 2  # the damage and the missing file
    assert two == one


def test_turns_keep_their_order_across_many_small_batches(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "BATCH_TURNS", 1)
    monkeypatch.setattr(parallel, "REF_LIMIT", 3)  # references are let go and sent again
    logs = [corpus["project"], *corpus["tasks"]]
    one, two = both(logs, tmp_path)
    assert two == one
    again = extract(logs, tmp_path / "again", ExtractOptions(hf_copy=False), tasks=[], workers=2)
    assert outputs(tmp_path / "again", again) == two


def test_progress_reaches_the_total_in_the_main_process(corpus, tmp_path):
    seen: list[tuple[int, int, int]] = []
    extract(
        [corpus["project"]],
        tmp_path / "o",
        ExtractOptions(hf_copy=False),
        tasks=[],
        workers=2,
        progress=lambda done, total: seen.append((done, total, os.getpid())),
    )
    total = corpus["project"].stat().st_size
    assert seen and seen[-1][:2] == (total, total) and {pid for *_, pid in seen} == {os.getpid()}
    assert [done for done, *_ in seen] == sorted(done for done, *_ in seen)


def test_a_worker_that_raises_fails_the_run_with_its_error(corpus, tmp_path, monkeypatch):
    def boom(self: TurnBuilder, turn: Any) -> TurnRows:
        raise RuntimeError("labeller exploded")

    monkeypatch.setattr(TurnBuilder, "build", boom)
    with deadline(60), pytest.raises(parallel.WorkerError) as caught:
        extract([corpus["project"]], tmp_path / "o", ExtractOptions(hf_copy=False), tasks=[], workers=2)
    message = str(caught.value)
    assert "RuntimeError: labeller exploded" in message and "in boom" in message  # the worker's traceback
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert not (tmp_path / "o" / ".work").exists()


def test_a_worker_that_dies_fails_the_run(corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(TurnBuilder, "build", lambda self, turn: os._exit(3))
    with deadline(60), pytest.raises(parallel.WorkerError, match=r"exited \(code 3\) before finishing"):
        extract([corpus["project"]], tmp_path / "o", ExtractOptions(hf_copy=False), tasks=[], workers=2)


def test_a_failing_main_process_stops_the_worker(corpus, tmp_path, monkeypatch):
    started: list[Any] = []
    real_start = parallel.multiprocessing.context.ForkProcess.start

    def start(self: Any) -> None:
        real_start(self)
        started.append(self)

    def full_disk(self: RowSink, rows: TurnRows) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(parallel.multiprocessing.context.ForkProcess, "start", start)
    monkeypatch.setattr(RowSink, "apply", full_disk)
    with deadline(60), pytest.raises(OSError, match="No space left"):
        extract([corpus["project"]], tmp_path / "o", ExtractOptions(hf_copy=False), tasks=[], workers=2)
    assert len(started) == 1 and not started[0].is_alive() and started[0].exitcode is not None


def test_bad_worker_counts_are_refused(corpus, tmp_path):
    from entropi.data.extract import ExtractError

    with pytest.raises(ExtractError, match="--workers must be 1 or 2"):
        extract([corpus["project"]], tmp_path / "o", ExtractOptions(hf_copy=False), tasks=[], workers=3)
    assert default_workers() == (2 if (os.cpu_count() or 1) >= 2 else 1)


def test_references_follow_the_same_first_in_first_out_order_on_both_sides():
    worker, main = MessageCache(), MessageCache()
    history = [{"role": "user", "content": f"m{i}"} for i in range(6)]
    rendered = [worker.render(m, keep_reasoning=False) for m in history]
    encoder, decoder = parallel.RefEncoder(worker, limit=3), parallel.RefDecoder(main, limit=3)
    own = {"role": "assistant", "content": "out"}  # a call's own output: not shared, always by value
    sent = []
    for picks in ([0, 1, 2], [0, 1, 2, 3], [4, 0], [5, 1, 2, 3, 4], [4, 3, 2, 1, 0]):
        row = {"messages": [*(rendered[i] for i in picks), own]}
        draft = PairDraft({"prompt": [rendered[picks[0]]], "chosen": None, "rejected": [own]}, "k")
        rows = TurnRows("s", 0, sft=[row], drafts=[draft])
        wire = json.loads(json.dumps(encoder.encode(rows).sft[0]["messages"][:-1], default=str))
        sent.append(wire)
        decoded = decoder.decode(rows)
        assert decoded.sft[0]["messages"] == [*(history[i] for i in picks), own]
        assert decoded.drafts[0].row["prompt"] == [history[picks[0]]]
        assert not main.shared(decoded.sft[0]["messages"][-1])
        assert len(main._by_rendered) <= 3  # bounded like the worker's table
    assert sent[0] == [[0, history[0]], [1, history[1]], [2, history[2]]]  # new: by value, adopted
    assert sent[1] == [0, 1, 2, [3, history[3]]]  # known: by reference; 0 is let go on both sides
    # m0, let go for m3, went again under ref 4 for the draft's prompt after the row; m4 is new: ref 5
    assert sent[2] == [[5, history[4]], 4]


def test_a_sessions_tools_list_goes_once_and_stays_one_list():
    encoder, decoder = parallel.RefEncoder(MessageCache()), parallel.RefDecoder(MessageCache())
    tools = [{"type": "function", "function": {"name": "t", "parameters": {"type": "object"}}}]
    wire, got = [], []
    for _ in range(3):
        rows = TurnRows("s", 0, sft=[{"messages": [], "tools": tools}])
        wire.append(encoder.encode(rows).sft[0]["tools"])
        got.append(decoder.decode(rows).sft[0]["tools"])
    assert wire == [(0, tools), 0, 0]
    assert got[0] == tools and got[1] is got[0] and got[2] is got[0]


def test_the_cli_takes_workers_and_writes_the_same_bytes_with_either(corpus, tmp_path):
    from data_support import HAS_DATASETS

    from entropi.data.cli import main, make_parser

    assert make_parser().parse_args(["--logs", "x", "--out", "o"]).workers == default_workers()
    if not HAS_DATASETS:
        pytest.skip("the CLI's HF copy needs `datasets`")
    got = []
    for workers in ("1", "2"):
        out = tmp_path / f"o{workers}"
        with deadline(120):
            assert main(["--logs", str(corpus["project"]), "--out", str(out), "--workers", workers]) == 0
        assert json.loads((out / "report.json").read_text())["inputs"]["workers"] == int(workers)
        got.append({str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.jsonl"))})
    assert got[0] == got[1] and any(got[0].values())
