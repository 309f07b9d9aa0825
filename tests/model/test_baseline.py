"""Decide before training: the bare embedded base on a tier's real cases, through the real runner."""

from __future__ import annotations

import pytest

from entropi.evaluation.baseline import PROMPTING_ENOUGH, evaluate_baseline, verdict
from entropi.evaluation.promotion import gate_cases
from entropi.inference.model_store import embedded_model_path

pytestmark = pytest.mark.model


def test_the_base_model_is_measured_on_the_tiers_cases(project, tmp_path):
    config = project()
    cases = gate_cases(config, "code")[:2]
    cache = tmp_path / "cache"
    measured = evaluate_baseline(config, tmp_path, "code", embedded_model_path(), cases=cases, cache=cache)
    figures = measured.figures
    assert [r.case_id for r in measured.results] == [c.id for c in cases]
    assert figures["cases"] == 2 and figures["model"] == embedded_model_path().name
    passed = figures["rates"]["passed"]
    assert passed["n"] == 2 and 0.0 <= passed["rate"] <= 1.0
    assert passed["lo"] <= passed["rate"] <= passed["hi"]
    assert figures["prompting_may_suffice"] is (passed["rate"] > PROMPTING_ENOUGH)
    assert figures["verdict"] == verdict(passed["rate"])

    def must_not_run(*args):
        raise AssertionError("the cached results should have been reused")

    again = evaluate_baseline(
        config, tmp_path, "code", embedded_model_path(), cases=cases, cache=cache, evaluator=must_not_run
    )
    assert again.reused is not None and again.figures["rates"] == figures["rates"]
    assert [r.model_dump() for r in again.results] == [r.model_dump() for r in measured.results]


def test_the_verdict_says_when_prompting_may_be_enough():
    assert "prompting may be enough" in verdict(0.8) and "training anyway" in verdict(0.8)
    assert "training is warranted" in verdict(0.7) and "training is warranted" in verdict(0.1)
