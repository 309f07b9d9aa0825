"""End to end: a seeded sample of ~20 generated tasks per tier played by the reference solver through the real
agent loop in real git repos (every gold passes its checker), then the extractor counts its taxonomy coverage
from the log alone."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from entropi.config import load_config
from entropi.config.schema import TIERS
from entropi.data.extract import ExtractOptions, extract
from entropi.modellog import OutcomeRecord, iter_log
from entropi.selfplay import reference_model, selfplay
from entropi.synth import generate

pytestmark = pytest.mark.slow
PER_TIER = 20


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("synth-play")
    (root / ".entropi").mkdir()
    config = load_config(root, env={}, home=root / "home")
    log = root / "model.log"
    tasks = [t for tier in TIERS for t in generate(tier, PER_TIER, 4242)]
    started = time.perf_counter()
    results = selfplay(
        tasks,
        runs=1,
        config=config,
        model_for=lambda t: reference_model(t, config, log),
        workdir=root / "runs",
    )
    seconds = time.perf_counter() - started
    print(f"\nplayed {len(tasks)} generated tasks in {seconds:.1f} s ({len(tasks) / seconds:.2f} tasks/s)")
    return tasks, results, log, root


def test_every_sampled_gold_passes_its_checker_through_the_agent_loop(played) -> None:
    _, results, _, _ = played
    failed = [(r.task_id, r.detail) for r in results if not r.passed]
    assert failed == []
    assert all(r.first_tool == r.expected_first_tool for r in results)
    assert {r.tier for r in results} >= {"thinking", "code", "normal"}  # simple may hand off


def test_the_log_carries_each_task_and_the_extractor_counts_coverage(played, tmp_path: Path) -> None:
    tasks, _, log, _ = played
    outcomes = [r for r in iter_log(log) if isinstance(r, OutcomeRecord)]
    by_id = {t.id: t for t in tasks}
    assert len(outcomes) == len(tasks)
    assert all(o.task is not None and o.task.coordinates == by_id[o.task.id].coordinates() for o in outcomes)
    report = extract([log], tmp_path / "out", ExtractOptions(hf_copy=False), tasks=[])
    coverage = report["coverage"]
    assert set(coverage["sft_taxonomy_tier"]) == set(TIERS)
    total = sum(coverage["sft_taxonomy_tier"].values())
    assert total == sum(report["sft"]["rows"].values())
    for axis in ("what", "phrasing", "path", "difficulty", "edge", "cells"):
        assert sum(coverage[f"sft_taxonomy_{axis}"].values()) == total
    assert "taxonomy coverage (SFT rows):" in (tmp_path / "out" / "summary.txt").read_text()


def test_outcome_records_without_a_task_still_read() -> None:
    old = {"session_id": "s", "turn_index": 0, "signal": "checker", "passed": True, "kind": "outcome"}
    assert OutcomeRecord.model_validate(old).task is None
