"""The bare base's results are reused only under the same base bytes, config and cases; bad entries are
measured again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from metrics_support import TODO, call, case, result

from entropi.config import load_config
from entropi.evaluation.baseline import evaluate_baseline
from entropi.evaluation.promotion import BASE_LABEL


class Counting:
    """An evaluator that answers every case with one todo_write call and counts how often it ran."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, config: Any, root: Path, cases: list, variants: dict) -> dict:
        self.runs += 1
        return {BASE_LABEL: [result(c.id, BASE_LABEL, calls=[call(TODO)]) for c in cases]}


@pytest.fixture
def setup(tmp_path: Path):
    gguf = tmp_path / "base.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    config = load_config(tmp_path, home=tmp_path / "home", env={})
    cases = [case("a", expected_tool=TODO), case("b", expected_tool=TODO)]
    return config, gguf, cases, tmp_path / "cache"


def run(setup, evaluator: Counting, **changes: Any):
    config, gguf, cases, cache = setup
    args = {"config": config, "gguf": gguf, "cases": cases, **changes}
    return evaluate_baseline(
        args["config"],
        cache.parent,
        "thinking",
        args["gguf"],
        cases=args["cases"],
        evaluator=evaluator,
        cache=cache,
    )


def test_a_second_run_reuses_the_results_and_says_so(setup):
    evaluator = Counting()
    first = run(setup, evaluator)
    second = run(setup, evaluator)
    assert evaluator.runs == 1
    assert first.reused is None and first.figures["reused"] is None
    assert second.reused is not None and second.reused.is_file()
    assert [r.model_dump() for r in second.results] == [r.model_dump() for r in first.results]
    assert second.figures["rates"] == first.figures["rates"]


def test_another_base_config_or_case_set_is_measured_again(setup):
    config, gguf, cases, _ = setup
    evaluator = Counting()
    run(setup, evaluator)
    other = gguf.with_name("other.gguf")
    other.write_bytes(gguf.read_bytes() + b"x")
    run(setup, evaluator, gguf=other)
    run(
        setup,
        evaluator,
        config=config.model_copy(update={"model": config.model.model_copy(update={"n_ctx": 1024})}),
    )
    run(setup, evaluator, cases=cases[:1])
    assert evaluator.runs == 4
    run(setup, evaluator, cases=cases[:1])
    assert evaluator.runs == 4


@pytest.mark.parametrize("damage", ["garbage", "other_cases", "empty"])
def test_a_bad_cache_entry_is_measured_again_and_replaced(setup, damage):
    evaluator = Counting()
    entry = run(setup, evaluator)
    (path,) = setup[3].iterdir()
    if damage == "garbage":
        path.write_bytes(b"\xff\x00 not json\n")
    elif damage == "other_cases":
        path.write_text(result("zzz", BASE_LABEL).model_dump_json() + "\n", encoding="utf-8")
    else:
        path.write_text("", encoding="utf-8")
    again = run(setup, evaluator)
    assert evaluator.runs == 2 and again.reused is None
    assert [r.case_id for r in again.results] == [r.case_id for r in entry.results]
    assert run(setup, evaluator).reused == path and evaluator.runs == 2


def test_without_a_cache_folder_nothing_is_kept(setup):
    config, gguf, cases, cache = setup
    evaluator = Counting()
    for _ in range(2):
        evaluate_baseline(config, cache.parent, "thinking", gguf, cases=cases, evaluator=evaluator)
    assert evaluator.runs == 2 and not cache.exists()
