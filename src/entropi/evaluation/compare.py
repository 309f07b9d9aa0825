"""A/B on the same cases: per-metric deltas B − A with paired bootstrap intervals, and per-case differences.

Paired bootstrap: the cases both variants ran are resampled with replacement ``n_boot`` times (seeded); each
replicate recomputes both rates on the same resample (each over the cases where the metric applies to that
variant) and keeps B − A; the interval is the 2.5th–97.5th percentile of those deltas (replicates where a
rate is undefined are dropped). A delta is ``better`` / ``worse`` when its interval excludes 0 in that
direction (for ``incoherent`` a drop is better; ``unclear`` is neutral), else ``inconclusive``.
A case is listed when the pass verdict, the failed metrics, the first call or the coherence label differ;
``improved`` (failed under A, passes under B) and ``regressed`` (the reverse) list case ids.
Non-goals: the metric definitions (`metrics.py`), files and plots (`report.py`), gating (`gate.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from entropi.evaluation.metrics import (
    LOWER_IS_BETTER,
    NEUTRAL,
    RATE_NAMES,
    CaseScore,
    MetricsError,
    pair_results,
    score_case,
    summarize,
)
from entropi.evaluation.results import CaseResult

if TYPE_CHECKING:
    from entropi.evaluation.cases import EvalCase

EXCERPT_CHARS = 240
Verdict = Literal["better", "worse", "inconclusive", "neutral", "n/a"]


class RateDelta(BaseModel):
    """One rate under A and B (each ``{"rate", "lo", "hi", "n", "k"}``) and the paired delta B − A."""

    name: str
    a: dict[str, Any]
    b: dict[str, Any]
    delta: float | None = None
    lo: float | None = None
    hi: float | None = None
    verdict: Verdict = "n/a"


class CaseDiff(BaseModel):
    """A case the two variants handled differently."""

    case_id: str
    tier: str | None
    tags: list[str] = Field(default_factory=list)
    passed_a: bool
    passed_b: bool
    call_a: str | None = None
    call_b: str | None = None
    excerpt_a: str = ""
    excerpt_b: str = ""
    failed_a: list[str] = Field(default_factory=list)
    failed_b: list[str] = Field(default_factory=list)
    detail_a: str = ""
    detail_b: str = ""

    @property
    def change(self) -> Literal["improved", "regressed", "changed"]:
        if self.passed_a != self.passed_b:
            return "improved" if self.passed_b else "regressed"
        return "changed"


class Comparison(BaseModel):
    """Everything an A/B report shows; `compare.json` is its JSON."""

    label_a: str
    label_b: str
    n_cases: int
    seed: int
    n_boot: int
    metrics: dict[str, RateDelta]
    per_tier: dict[str, dict[str, RateDelta]] = Field(default_factory=dict)
    summary_a: dict[str, Any] = Field(default_factory=dict)
    summary_b: dict[str, Any] = Field(default_factory=dict)
    cases: list[CaseDiff] = Field(default_factory=list)
    improved: list[str] = Field(default_factory=list)
    regressed: list[str] = Field(default_factory=list)
    only_a: list[str] = Field(default_factory=list)
    only_b: list[str] = Field(default_factory=list)


def _verdict(name: str, delta: float | None, lo: float | None, hi: float | None) -> Verdict:
    if delta is None or lo is None or hi is None:
        return "n/a"
    if name in NEUTRAL:
        return "neutral"
    sign = -1 if name in LOWER_IS_BETTER else 1
    low, high = sorted((sign * lo, sign * hi))
    return "better" if low > 0 else "worse" if high < 0 else "inconclusive"


def paired_deltas(
    scores_a: Sequence[CaseScore],
    scores_b: Sequence[CaseScore],
    *,
    seed: int = 0,
    n_boot: int = 2000,
    names: Iterable[str] = RATE_NAMES,
) -> dict[str, tuple[float | None, float | None, float | None]]:
    """Per rate: (delta B − A, lo, hi) over paired case scores (same case at the same index)."""
    names = list(names)
    n = len(scores_a)
    if n != len(scores_b):
        raise MetricsError(f"paired scores differ in length: {n} and {len(scores_b)}")
    out: dict[str, tuple[float | None, float | None, float | None]] = dict.fromkeys(names, (None, None, None))
    if n == 0:
        return out
    columns = []  # per rate: applies under A, true under A, applies under B, true under B
    for name in names:
        for scores in (scores_a, scores_b):
            values = [s.value(name) for s in scores]
            columns += [[v is not None for v in values], [v is True for v in values]]
    table = np.asarray(columns, dtype=float).T  # cases × 4 per rate
    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1 / n), size=n_boot) if n_boot else None
    with np.errstate(invalid="ignore", divide="ignore"):
        full = table.sum(axis=0)
        boot = weights @ table if weights is not None else None
        for i, name in enumerate(names):
            na, ka, nb, kb = (4 * i + j for j in range(4))
            if not full[na] or not full[nb]:
                continue
            delta = float(full[kb] / full[nb] - full[ka] / full[na])
            lo = hi = None
            if boot is not None:
                reps = boot[:, kb] / boot[:, nb] - boot[:, ka] / boot[:, na]
                reps = reps[np.isfinite(reps)]
                if reps.size:
                    lo, hi = (float(x) for x in np.percentile(reps, [2.5, 97.5]))
            out[name] = (delta, lo, hi)
    return out


def _first_call(result: CaseResult) -> str | None:
    if not result.calls:
        return f"<{result.malformed} malformed>" if result.malformed else None
    first = result.calls[0]
    return f"{first.name}({json.dumps(first.arguments, ensure_ascii=False, sort_keys=True)})"


def _excerpt(result: CaseResult) -> str:
    text = (
        (result.error and f"error: {result.error}")
        or result.content.strip()
        or result.raw_output.strip()
        or result.task_detail.strip()
    )
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _deltas(
    scores_a: Sequence[CaseScore],
    scores_b: Sequence[CaseScore],
    sum_a: dict[str, Any],
    sum_b: dict[str, Any],
    seed: int,
    n_boot: int,
) -> dict[str, RateDelta]:
    paired = paired_deltas(scores_a, scores_b, seed=seed, n_boot=n_boot)
    return {
        name: RateDelta(
            name=name, a=sum_a[name], b=sum_b[name], delta=d, lo=lo, hi=hi, verdict=_verdict(name, d, lo, hi)
        )
        for name, (d, lo, hi) in paired.items()
    }


def compare(
    cases: Sequence[EvalCase],
    results_a: Sequence[CaseResult],
    results_b: Sequence[CaseResult],
    *,
    label_a: str,
    label_b: str,
    seed: int = 0,
    n_boot: int = 2000,
) -> Comparison:
    """A/B over the cases both variants ran (in `cases` order); see the module docstring."""
    by_a = {c.id: r for c, r in pair_results(cases, results_a)}
    by_b = {c.id: r for c, r in pair_results(cases, results_b)}
    paired = [c for c in cases if c.id in by_a and c.id in by_b]
    if not paired:
        raise MetricsError(f"{label_a} and {label_b} share no case")
    pairs_a = [(c, by_a[c.id]) for c in paired]
    pairs_b = [(c, by_b[c.id]) for c in paired]
    scores_a = [score_case(c, r) for c, r in pairs_a]
    scores_b = [score_case(c, r) for c, r in pairs_b]
    summary_a = summarize(pairs_a, seed=seed, n_boot=n_boot)
    summary_b = summarize(pairs_b, seed=seed, n_boot=n_boot)
    metrics = _deltas(scores_a, scores_b, summary_a["overall"], summary_b["overall"], seed, n_boot)
    per_tier = {}
    for tier in summary_a["per_tier"]:
        keep = [i for i, s in enumerate(scores_a) if s.tier == tier]
        per_tier[tier] = _deltas(
            [scores_a[i] for i in keep],
            [scores_b[i] for i in keep],
            summary_a["per_tier"][tier],
            summary_b["per_tier"][tier],
            seed,
            n_boot,
        )
    diffs = []
    for case, sa, sb in zip(paired, scores_a, scores_b, strict=True):
        ra, rb = by_a[case.id], by_b[case.id]
        call_a, call_b = _first_call(ra), _first_call(rb)
        if (sa.passed, sa.failed(), call_a, sa.coherence) == (sb.passed, sb.failed(), call_b, sb.coherence):
            continue
        diffs.append(
            CaseDiff(
                case_id=case.id,
                tier=sa.tier,
                tags=list(case.tags),
                passed_a=sa.passed,
                passed_b=sb.passed,
                call_a=call_a,
                call_b=call_b,
                excerpt_a=_excerpt(ra),
                excerpt_b=_excerpt(rb),
                failed_a=sa.failed(),
                failed_b=sb.failed(),
                detail_a=sa.detail,
                detail_b=sb.detail,
            )
        )
    return Comparison(
        label_a=label_a,
        label_b=label_b,
        n_cases=len(paired),
        seed=seed,
        n_boot=n_boot,
        metrics=metrics,
        per_tier=per_tier,
        summary_a=summary_a,
        summary_b=summary_b,
        cases=diffs,
        improved=[d.case_id for d in diffs if d.change == "improved"],
        regressed=[d.case_id for d in diffs if d.change == "regressed"],
        only_a=sorted(set(by_a) - set(by_b)),
        only_b=sorted(set(by_b) - set(by_a)),
    )
