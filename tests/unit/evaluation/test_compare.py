"""A/B on two fixed hand-written result sets: paired deltas, intervals, verdicts and per-case differences."""

from __future__ import annotations

import pytest
from metrics_support import READ, ab_cases, base_results, call, case, result, tuned_results

from entropi.evaluation.compare import Comparison, compare, paired_deltas
from entropi.evaluation.metrics import MetricsError, score_case


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    return compare(ab_cases(), base_results(), tuned_results(), label_a="base", label_b="tuned", n_boot=500)


def test_deltas_and_verdicts(comparison):
    m = comparison.metrics
    assert comparison.n_cases == 6 and (comparison.label_a, comparison.label_b) == ("base", "tuned")
    assert m["selected"].a["rate"] == pytest.approx(1 / 3) and m["selected"].b["rate"] == 1.0
    assert m["selected"].delta == pytest.approx(2 / 3)
    assert m["selected"].lo <= m["selected"].delta <= m["selected"].hi
    assert m["args_match"].delta == 1.0 and m["args_match"].verdict == "better"
    assert m["irrelevance"].delta == -1.0 and m["irrelevance"].verdict == "worse"
    assert m["incoherent"].delta == -1.0 and m["incoherent"].verdict == "better"  # lower is better
    assert m["unclear"].verdict == "neutral"
    assert m["valid"].delta == 0.0 and m["valid"].verdict == "inconclusive"
    assert m["passed"].delta == pytest.approx(4 / 6)
    assert list(comparison.per_tier) == ["thinking", "code"]
    assert comparison.per_tier["code"]["valid"].verdict == "n/a"  # tuned makes no call on the code tier


def test_per_case_differences(comparison):
    assert comparison.improved == ["investigate", "read-cart", "fix-bug", "route-code", "task:cart"]
    assert comparison.regressed == ["hello"]
    hello = next(d for d in comparison.cases if d.case_id == "hello")
    assert (hello.passed_a, hello.passed_b, hello.change) == (True, False, "regressed")
    assert hello.call_a is None and hello.call_b == 'bash.execute({"command": "echo hello"})'
    assert hello.failed_b == ["irrelevance", "substr_ok"] and "expected no call" in hello.detail_b
    assert hello.excerpt_a == "Hello! How can I help?" and hello.tags == ["no_tool"]
    read = next(d for d in comparison.cases if d.case_id == "read-cart")
    assert read.call_b == 'filesystem.read_file({"path": "./src/app/cart.py"})'


def test_identical_runs_have_no_differences():
    same = compare(ab_cases(), base_results(), base_results(), label_a="a", label_b="b", n_boot=200)
    assert same.cases == [] and same.improved == [] and same.regressed == []
    for delta in same.metrics.values():
        assert delta.delta in (None, 0.0)
        assert delta.verdict in ("n/a", "inconclusive", "neutral")


def test_paired_interval_is_narrower_than_unpaired_noise():
    # 40 cases; B fixes 8 of the 20 A fails and breaks none: the paired CI excludes 0 although both
    # per-variant CIs overlap, which is what pairing is for.
    cases = [case(f"c{i}", expected_tool=READ) for i in range(40)]
    a = [result(f"c{i}", calls=[call(READ, path="a.py")] if i < 20 else []) for i in range(40)]
    b = [result(f"c{i}", "b", calls=[call(READ, path="a.py")] if i < 28 else []) for i in range(40)]
    c = compare(cases, a, b, label_a="a", label_b="b", seed=3, n_boot=2000)
    selected = c.metrics["selected"]
    assert selected.delta == pytest.approx(0.2)
    assert selected.a["hi"] > selected.b["lo"]  # unpaired intervals overlap
    assert 0 < selected.lo <= selected.delta <= selected.hi and selected.verdict == "better"
    again = compare(cases, a, b, label_a="a", label_b="b", seed=3, n_boot=2000)
    assert again.metrics == c.metrics  # seeded


def test_paired_deltas_edge_cases():
    scores = [score_case(case("x", expected_tool=READ), result("x", calls=[call(READ, path="a.py")]))]
    assert paired_deltas([], [], n_boot=10)["selected"] == (None, None, None)
    assert paired_deltas(scores, scores, n_boot=0)["selected"] == (0.0, None, None)
    assert paired_deltas(scores, scores, n_boot=10)["irrelevance"] == (None, None, None)  # applies to neither
    with pytest.raises(MetricsError, match="differ in length"):
        paired_deltas(scores, [], n_boot=10)


def test_unpaired_and_unknown_results():
    cases = ab_cases()
    partial = compare(cases, base_results(), tuned_results()[:4], label_a="a", label_b="b", n_boot=100)
    assert partial.n_cases == 4 and partial.only_a == ["route-code", "task:cart"] and partial.only_b == []
    with pytest.raises(MetricsError, match="share no case"):
        compare(cases, base_results()[:2], tuned_results()[2:], label_a="a", label_b="b", n_boot=10)
    with pytest.raises(MetricsError, match="unknown case"):
        compare(cases[:1], base_results(), tuned_results(), label_a="a", label_b="b", n_boot=10)


def test_round_trips_through_json(comparison):
    again = Comparison.model_validate_json(comparison.model_dump_json())
    assert again == comparison
