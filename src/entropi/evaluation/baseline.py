"""Decide before training: how well does the bare base model already do on a tier's cases?

`scripts/fine_tune.py` runs this before it trains (``baseline: false`` skips it). Above
`PROMPTING_ENOUGH` of the cases passing, prompting may be enough and the run says so; training still
goes ahead. The figures go into the new version's manifest and report, so the baseline stays with it.
Non-goals: comparing adapters (`compare.py`), the promotion gate (`gate.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entropi.evaluation.cases import EvalCase
from entropi.evaluation.metrics import pair_results, summarize
from entropi.evaluation.promotion import BASE_LABEL, Evaluator, gate_cases
from entropi.evaluation.results import CaseResult

PROMPTING_ENOUGH = 0.70
RATES = ("passed", "selected", "valid", "coherent")


@dataclass
class Baseline:
    """The figures a run keeps in its manifest, and the per-case results the promotion gate can reuse."""

    figures: dict[str, Any]
    results: list[CaseResult]


def verdict(rate: float) -> str:
    """The sentence a run prints for a base pass rate."""
    if rate > PROMPTING_ENOUGH:
        return (
            f"the base model already passes {rate:.0%} of the cases (> {PROMPTING_ENOUGH:.0%}): "
            "prompting may be enough for this tier; training anyway"
        )
    return f"the base model passes {rate:.0%} of the cases (<= {PROMPTING_ENOUGH:.0%}): training is warranted"


def evaluate_baseline(
    config: Any,
    project_root: Path,
    tier: str,
    gguf: Path,
    *,
    limit: int | None = None,
    cases: Sequence[EvalCase] | None = None,
    evaluator: Evaluator | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
) -> Baseline:
    """The base ``gguf`` (no adapter) on the tier's gate cases: rates with 95% CIs and the verdict.

    ``on_start(n_cases)`` and ``on_result(result)`` report progress (the default evaluator only)."""
    chosen = list(cases) if cases is not None else gate_cases(config, tier)
    if limit is not None:
        chosen = chosen[:limit]
    if on_start is not None:
        on_start(len(chosen))
    on_base = config.model_copy(update={"model": config.model.model_copy(update={"path": gguf})})
    if evaluator is None:
        from entropi.evaluation.runner import evaluate_variants

        results = evaluate_variants(on_base, project_root, chosen, {BASE_LABEL: None}, on_result=on_result)
    else:
        results = evaluator(on_base, project_root, chosen, {BASE_LABEL: None})
    overall = summarize(pair_results(chosen, results[BASE_LABEL]))["overall"]
    rates = {name: overall[name] for name in RATES if overall.get(name)}
    rate = (rates.get("passed") or {}).get("rate") or 0.0
    figures = {
        "model": gguf.name,
        "tier": tier,
        "cases": len(chosen),
        "rates": rates,
        "prompting_may_suffice": rate > PROMPTING_ENOUGH,
        "verdict": verdict(rate),
    }
    return Baseline(figures, list(results[BASE_LABEL]))
