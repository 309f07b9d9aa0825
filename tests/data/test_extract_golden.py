"""Pins the extractor's output bytes for a fixed input, so speed work cannot change what is written.

The input is the benchmark's synthetic log (`benchmarks/bench_extract.py`), made deterministic by seeding the
record ids and fixing the clock. The digests were taken with the extractor before its performance rework; the
two-process pass (`workers=2`) must give the same bytes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import uuid
from pathlib import Path

import pytest

from entropi.data.extract import ExtractOptions, expand_logs, extract
from entropi.modellog import records

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_extract.py"
GOLDEN = {
    "code/dpo_eval.jsonl": "8cfebd740f0932c1a974b6b431e4ae85f319dc187c504d8d584796c6fb4c8d4a",
    "code/sft_eval.jsonl": "5af1deca9488053ac0fda98b522c471feb4672b323259f9e5ebf9d1597d58b5d",
    "code/sft_train.jsonl": "40e79b0304ecaaa379b8a3577352ed73a7b1791f5e6d0342f1d8318d5bd54de6",
    "report": "389d6495b7eb9cd2e0380caa611431240047ef2e9ea553589339491c76132a94",
}


class _FixedClock:
    @staticmethod
    def now(tz=None):
        from datetime import datetime

        return datetime(2026, 11, 22, 10, 0, 0, 123000, tzinfo=tz)


def _bench():
    spec = importlib.util.spec_from_file_location("bench_extract", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _digests(out: Path, report: dict) -> dict[str, str]:
    got = {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*.jsonl"))
        if p.stat().st_size
    }
    report = {k: v for k, v in report.items() if k != "inputs"}  # timings
    got["report"] = hashlib.sha256(json.dumps(report, sort_keys=True).encode()).hexdigest()
    return got


@pytest.mark.parametrize("workers", [1, 2])
def test_output_bytes_are_pinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    rng = random.Random(7)
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=rng.getrandbits(128), version=4))
    monkeypatch.setattr(records, "datetime", _FixedClock)
    logs = tmp_path / "logs"
    logs.mkdir()
    log = _bench().generate(logs, 2, seed=3)
    options = ExtractOptions(seed=5, hf_copy=False)
    report = extract(expand_logs([str(log)]), tmp_path / "out", options, tasks=[], workers=workers)
    got = _digests(tmp_path / "out", report)
    assert got == GOLDEN
