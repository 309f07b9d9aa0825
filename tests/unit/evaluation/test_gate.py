"""The promotion gate's decision (pure) and its configuration: every gate accepting and refusing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from entropi.config import TIERS, ConfigError, load_config
from entropi.config.schema import EvaluationConfig, GateConfig
from entropi.evaluation.gate import GateDecision, decide

GATE = GateConfig()


def _rate(k: int, n: int) -> dict[str, Any]:
    if n == 0:
        return {"rate": None, "lo": None, "hi": None, "n": 0, "k": 0}
    return {"rate": k / n, "lo": max(0.0, k / n - 0.05), "hi": min(1.0, k / n + 0.05), "n": n, "k": k}


def summary(
    *,
    valid: tuple[int, int] = (100, 100),
    selected: tuple[int, int] = (30, 30),
    coherent: tuple[int, int] = (9, 10),
    n_cases: int = 30,
    tier: str | None = "code",
) -> dict[str, Any]:
    """The shape `metrics.summarize` returns, reduced to what the gate reads."""
    group = {
        "valid": _rate(*valid),
        "selected": _rate(*selected),
        "coherent": _rate(*coherent),
        "n_cases": n_cases,
    }
    return {"overall": group, "per_tier": {tier: group} if tier else {}, "per_tag": {}}


GOOD = summary()
BASE = summary(valid=(90, 100), selected=(20, 30), coherent=(5, 10))


def check(decision: GateDecision, name: str):
    return next(c for c in decision.checks if c.name == name)


def test_a_candidate_that_clears_every_gate_is_accepted():
    decision = decide("code", GOOD, BASE, 1.00, 0.98, GATE)
    assert decision.accepted and not decision.failed
    assert [c.name for c in decision.checks] == ["cases", "validity", "selection", "coherence", "chat_loss"]
    assert decision.reason().startswith("code: accepted")
    validity = check(decision, "validity")
    assert (validity.value, validity.threshold) == (1.0, 0.99) and "100/100" in validity.detail
    assert check(decision, "chat_loss").value == pytest.approx(0.02 / 0.98)


@pytest.mark.parametrize(
    "candidate, losses, failed",
    [
        (summary(valid=(98, 100)), (1.0, 1.0), "validity"),
        (summary(valid=(0, 0)), (1.0, 1.0), "validity"),
        (summary(selected=(28, 30)), (1.0, 1.0), "selection"),
        (summary(selected=(0, 0)), (1.0, 1.0), "selection"),
        (summary(coherent=(5, 10)), (1.0, 1.0), "coherence"),
        (summary(coherent=(4, 10)), (1.0, 1.0), "coherence"),
        (summary(coherent=(0, 0)), (1.0, 1.0), "coherence"),
        (GOOD, (1.06, 1.0), "chat_loss"),
        (GOOD, (None, 1.0), "chat_loss"),
        (summary(n_cases=19), (1.0, 1.0), "cases"),
    ],
    ids=[
        "validity-low",
        "validity-unmeasured",
        "selection-low",
        "selection-unmeasured",
        "coherence-equal",
        "coherence-lower",
        "coherence-lost",
        "chat-loss-up-6pct",
        "chat-loss-missing",
        "too-few-cases",
    ],
)
def test_each_gate_refuses_on_its_own_and_the_reason_names_it(candidate, losses, failed):
    decision = decide("code", candidate, BASE, *losses, GATE)
    assert not decision.accepted
    assert [c.name for c in decision.failed] == [failed]
    reason = decision.reason()
    assert reason.startswith("code: refused by 1 gate(s)") and f"{failed}:" in reason


def test_the_reason_names_every_failed_gate():
    bad = summary(valid=(50, 100), selected=(1, 30), coherent=(1, 10), n_cases=3)
    decision = decide("code", bad, BASE, 2.0, 1.0, GATE)
    assert {c.name for c in decision.failed} == {"cases", "validity", "selection", "coherence", "chat_loss"}
    reason = decision.reason()
    assert "refused by 5 gate(s)" in reason
    assert (
        "0.500 < 0.99" in reason
        and "+100.0% > +5.0%" in reason
        and "3 case(s) evaluated, 20 needed" in reason
    )


def test_thresholds_sit_on_the_boundary():
    exact = summary(valid=(99, 100), selected=(19, 20))
    decision = decide("code", exact, BASE, 1.05, 1.0, GATE)
    assert decision.accepted, decision.reason()
    assert not decide("code", summary(n_cases=19), BASE, 1.0, 1.0, GATE).accepted
    assert decide("code", summary(n_cases=20), BASE, 1.0, 1.0, GATE).accepted


def test_chat_loss_may_fall_and_a_zero_baseline_only_accepts_no_rise():
    assert check(decide("code", GOOD, BASE, 0.5, 1.0, GATE), "chat_loss").passed
    assert check(decide("code", GOOD, BASE, 0.0, 0.0, GATE), "chat_loss").passed
    assert not check(decide("code", GOOD, BASE, 0.1, 0.0, GATE), "chat_loss").passed


@pytest.mark.parametrize(
    "cand, base, passed",
    [
        ((10, 10), (10, 10), True),  # a perfect baseline cannot be beaten: equal at 1.0 passes
        ((0, 0), (0, 0), True),  # neither thinks (e.g. the code tier): not measured, not a refusal
        ((3, 10), (0, 0), True),  # the baseline never produced scored thinking
        ((0, 0), (3, 10), False),  # the candidate lost it
        ((6, 10), (5, 10), True),
    ],
)
def test_coherence_gain_edge_cases(cand, base, passed):
    decision = decide(
        "thinking", summary(coherent=cand, tier=None), summary(coherent=base, tier=None), 1, 1, GATE
    )
    assert check(decision, "coherence").passed is passed


def test_no_baseline_summary_and_coherence_not_required():
    assert check(decide("code", GOOD, None, 1.0, 1.0, GATE), "coherence").passed
    lax = GateConfig(require_coherence_gain=False)
    decision = decide("code", summary(coherent=(1, 10)), BASE, 1.0, 1.0, lax)
    assert decision.accepted and "not required" in check(decision, "coherence").detail


def test_the_tier_group_is_read_when_present():
    mixed = summary()
    mixed["per_tier"]["code"] = summary(valid=(1, 2))["overall"]
    assert [c.name for c in decide("code", mixed, BASE, 1, 1, GATE).failed] == ["validity"]
    assert decide("normal", mixed, BASE, 1, 1, GATE).accepted, "no normal group: the overall one"


def test_decision_serializes_for_the_manifest_and_history():
    data = decide("code", GOOD, BASE, 1.0, 1.0, GATE).to_dict()
    assert data["tier"] == "code" and data["accepted"] is True
    assert data["checks"][0] == {
        "name": "cases",
        "passed": True,
        "value": 30.0,
        "threshold": 20.0,
        "detail": "30 case(s) evaluated, 20 needed",
    }


# --- configuration --------------------------------------------------------------------------------------


def _project(tmp_path: Path, text: str) -> Path:
    (tmp_path / ".entropi").mkdir(exist_ok=True)
    (tmp_path / ".entropi" / "config.yaml").write_text(text)
    return tmp_path


def test_defaults_are_the_same_for_every_tier(tmp_path: Path):
    config = load_config(tmp_path, env={}, home=tmp_path / "home")
    assert list(config.evaluation.gates) == list(TIERS)
    assert all(config.evaluation.gate(t) == GateConfig() for t in TIERS)
    assert GateConfig() == GateConfig(
        min_validity=0.99,
        min_selection=0.95,
        require_coherence_gain=True,
        max_chat_loss_increase=0.05,
        min_cases=20,
    )
    assert config.evaluation.cases is None
    assert EvaluationConfig().gate("simple") == GateConfig(), "a config built in code has every tier"


def test_one_tier_is_overridden_and_case_files_resolve_against_the_setting_file(tmp_path: Path):
    root = _project(
        tmp_path,
        "evaluation:\n  gates:\n    code:\n      min_selection: 0.8\n"
        "  cases: [cases/mine.jsonl, /abs/x.jsonl]\n",
    )
    config = load_config(root, env={}, home=tmp_path / "home")
    assert config.evaluation.gate("code").min_selection == 0.8
    assert config.evaluation.gate("code").min_validity == 0.99, "the rest of the tier's gate stays default"
    assert config.evaluation.gate("normal").min_selection == 0.95
    assert config.evaluation.cases == [root / ".entropi" / "cases" / "mine.jsonl", Path("/abs/x.jsonl")]


def test_env_overrides_a_gate(tmp_path: Path):
    env = {"ENTROPI_EVALUATION__GATES__SIMPLE__MIN_CASES": "5"}
    config = load_config(tmp_path, env=env, home=tmp_path / "home")
    assert config.evaluation.gate("simple").min_cases == 5


@pytest.mark.parametrize(
    "text, message",
    [
        ("evaluation:\n  gates:\n    code:\n      min_validty: 0.9\n", "did you mean 'min_validity'"),
        (
            "evaluation:\n  gates:\n    code:\n      min_selection: 1.5\n",
            "evaluation.gates.code.min_selection",
        ),
        ("evaluation:\n  gates:\n    coder: {}\n", "evaluation.gates.coder: Input should be 'thinking'"),
        ("evaluation:\n  cases: ['']\n", "evaluation.cases[0]: empty path"),
    ],
)
def test_bad_gate_settings_are_named(tmp_path: Path, text: str, message: str):
    root = _project(tmp_path, text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(root, env={}, home=tmp_path / "home")
