"""Scores one eval case's result and aggregates scores into rates with bootstrap confidence intervals.

Per case (`score_case`) every metric is an optional boolean; None means it does not apply to the case:

- ``valid``: the output attempted a call; True iff nothing malformed and every parsed call has no
  validator problem (unknown tool, not allowed in the tier, schema violation).
- ``selected``: the case has ``expected_tool``; True iff there is a first call and its name is that tool.
- ``args_match``: the case has ``expected_tool``; True iff ``selected`` and the first call passes BFCL's AST
  rules: every ``expected_args`` key present with an equal value; every ``accepted_args`` key present with
  a value equal to one alternative, or absent with ``""`` among the alternatives; every parameter the
  offered schema requires present; no argument outside the schema's properties.
- ``relevance``: the case has ``expected_tool``; True iff a call was attempted.
- ``irrelevance``: the case has ``expected_no_tool``; True iff no call was attempted.
- ``forbidden_ok``: the case has ``forbidden_tools``; True iff no call uses one of them.
- ``substr_ok``: the case has ``expected_substr``; True iff each occurs in the content (case-insensitive).
- ``coherence``: the result has thinking and a call, or thinking that states an intent; the label of
  `entropi.data.coherence.coherence` (coherent / incoherent / unclear) for the thinking and first call.
- ``task_passed``: task cases; the checker's verdict.
- ``routed_ok``: the case has ``expected_tier`` and the result a routed tier (or an error); equal.
- ``passed``: every applicable boolean True, coherence not incoherent, and no error.

Equality "after normalization" and the argument rules live in `arguments.py` (strings lowercased, leading
``./``, whitespace and ``,./-_*^`` dropped; ``5 == 5.0`` but ``"5" != 5`` unless the schema says string;
booleans strict; lists elementwise; dicts key by key). The offered schema is the case's ``tools`` entry of
that name, else entropi's own.

A result with ``error`` fails every metric its case defines (valid only if it recorded a call; coherence
does not apply). Task results keep only the name of the agent's first tool (``calls[0]`` or
``first_tool``): they score selection and relevance, never validity or args_match.

`summarize` turns (case, result) pairs into rates ``{"rate", "lo", "hi", "n", "k"}`` (k of n applicable
cases; 95% percentile bootstrap interval, seeded; n == 0 gives rate None), coherence shares, router accuracy
and confusion matrix, latency, tokens and malformed counts, overall and per tier and per tag.
Non-goals: running cases (`runner.py`), A/B deltas (`compare.py`), gate thresholds (`gate.py`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from entropi.config.schema import TIERS
from entropi.data.coherence import Label, coherence, extract_intent
from entropi.evaluation.arguments import arguments_problem, offered_schema
from entropi.evaluation.results import CallResult, CaseResult

if TYPE_CHECKING:
    from entropi.evaluation.cases import EvalCase

BOOLEAN_METRICS = (
    "valid",
    "selected",
    "args_match",
    "relevance",
    "irrelevance",
    "forbidden_ok",
    "substr_ok",
    "task_passed",
    "routed_ok",
)
COHERENCE_LABELS: tuple[Label, ...] = ("coherent", "incoherent", "unclear")
RATE_NAMES = (*BOOLEAN_METRICS, *COHERENCE_LABELS, "passed")
"""Every rate a `summarize` group reports, in display order."""
LOWER_IS_BETTER = frozenset({"incoherent"})
"""Rates where a drop is an improvement."""
NEUTRAL = frozenset({"unclear"})
"""Rates that are neither better nor worse when they move."""

TOOL_ACCURACY_JSON = "tool_accuracy.json"
COHERENCE_JSON = "thinking_action_coherence.json"
PER_TIER_JSON = "per_tier_scores.json"
_TOOL_ACCURACY_KEYS = {
    "validity": "valid",
    "selection": "selected",
    "args": "args_match",
    "relevance": "relevance",
    "irrelevance": "irrelevance",
    "forbidden": "forbidden_ok",
}
UNROUTED = "none"


class MetricsError(ValueError):
    """Cases and results that cannot be paired (unknown or duplicate case ids)."""


@dataclass(frozen=True)
class CaseScore:
    """One case's metrics (None = does not apply) and why the ones that failed did."""

    case_id: str
    tier: str | None
    tags: tuple[str, ...] = ()
    valid: bool | None = None
    selected: bool | None = None
    args_match: bool | None = None
    relevance: bool | None = None
    irrelevance: bool | None = None
    forbidden_ok: bool | None = None
    substr_ok: bool | None = None
    task_passed: bool | None = None
    routed_ok: bool | None = None
    coherence: Label | None = None
    passed: bool = False
    detail: str = ""

    def value(self, rate: str) -> bool | None:
        """The boolean behind rate `rate` (a coherence label is a yes/no for each label)."""
        if rate in COHERENCE_LABELS:
            return None if self.coherence is None else self.coherence == rate
        return getattr(self, rate)

    def failed(self) -> list[str]:
        """Names of the metrics that apply and failed (incoherent counts as a failure)."""
        out = [name for name in BOOLEAN_METRICS if getattr(self, name) is False]
        return [*out, "coherence"] if self.coherence == "incoherent" else out


# ---- one case ------------------------------------------------------------------------------------------


def first_call(result: CaseResult) -> CallResult | None:
    """The first parsed call; for a task result without parsed calls, its ``first_tool`` (no arguments)."""
    if result.calls:
        return result.calls[0]
    if result.kind == "task" and result.first_tool:
        return CallResult(name=result.first_tool)
    return None


def _coherence(result: CaseResult) -> tuple[Label | None, str]:
    thinking = result.thinking.strip()
    if not thinking or result.error:
        return None, ""
    tools = result.tool_names or None
    if not result.calls and extract_intent(thinking, tools).kind == "unknown":
        return None, ""
    call = result.calls[0] if result.calls else None
    verdict = coherence(thinking, (call.name, call.arguments) if call else None, tools)
    return verdict.label, verdict.reason


def score_case(case: EvalCase, result: CaseResult) -> CaseScore:
    """Every metric for one case (see the module docstring for the definitions)."""
    if case.id != result.case_id:
        raise MetricsError(f"result for {result.case_id!r} scored against case {case.id!r}")
    ok = result.error is None
    first = first_call(result) if ok else None
    attempted = result.attempted_call or first is not None
    names = [c.name for c in result.calls] + ([first.name] if first and not result.calls else [])
    notes: list[str] = [f"error: {result.error}"] if result.error else []
    score: dict[str, Any] = {}
    if result.attempted_call and not case.task:
        score["valid"] = ok and result.malformed == 0 and all(c.problem is None for c in result.calls)
        if not score["valid"] and ok:
            problems = [f"{c.name}: {c.problem}" for c in result.calls if c.problem]
            problems += [f"{result.malformed} malformed"] if result.malformed else []
            notes.append("invalid: " + ", ".join(problems))
    if case.expected_tool:
        score["selected"] = first is not None and first.name == case.expected_tool
        score["relevance"] = ok and attempted
        if not score["selected"] and ok:
            notes.append(f"first call {first.name if first else None}, expected {case.expected_tool}")
        if not score["selected"] and not case.task:
            score["args_match"] = False
        elif not case.task:
            schema = offered_schema(case.tools, first.name)
            problem = arguments_problem(first.arguments, schema, case.expected_args, case.accepted_args)
            score["args_match"] = problem is None
            if problem:
                notes.append(f"args: {problem}")
    if case.expected_no_tool:
        score["irrelevance"] = ok and not attempted
        if ok and attempted:
            notes.append(f"called {first.name if first else 'a malformed tool'}, expected no call")
    if case.forbidden_tools:
        used = sorted(set(names) & set(case.forbidden_tools))
        score["forbidden_ok"] = ok and not used
        if used:
            notes.append(f"forbidden: {', '.join(used)}")
    if case.expected_substr:
        content = result.content.lower()
        missing = [s for s in case.expected_substr if s.lower() not in content]
        score["substr_ok"] = ok and not missing
        if missing and ok:
            notes.append(f"missing text: {', '.join(map(repr, missing))}")
    if case.task:
        score["task_passed"] = ok and bool(result.task_passed)
    if case.expected_tier and (result.routed_tier or not ok):
        score["routed_ok"] = ok and result.routed_tier == case.expected_tier
        if ok and not score["routed_ok"]:
            notes.append(f"routed to {result.routed_tier}, expected {case.expected_tier}")
    label, reason = _coherence(result)
    if label == "incoherent":
        notes.append(f"incoherent: {reason}")
    passed = ok and all(v is not False for v in score.values()) and label != "incoherent"
    return CaseScore(
        case_id=case.id,
        tier=case.tier or case.expected_tier,
        tags=tuple(case.tags),
        coherence=label,
        passed=passed,
        detail="; ".join(notes),
        **score,
    )


def pair_results(
    cases: Iterable[EvalCase], results: Iterable[CaseResult]
) -> list[tuple[EvalCase, CaseResult]]:
    """(case, result) pairs in result order; a result for an unknown case or a repeated one raises."""
    by_id = {case.id: case for case in cases}
    seen: set[str] = set()
    pairs = []
    for result in results:
        if result.case_id not in by_id:
            raise MetricsError(f"result for unknown case {result.case_id!r} (variant {result.variant!r})")
        if result.case_id in seen:
            raise MetricsError(f"two results for case {result.case_id!r} (variant {result.variant!r})")
        seen.add(result.case_id)
        pairs.append((by_id[result.case_id], result))
    return pairs


# ---- aggregation ---------------------------------------------------------------------------------------


def bootstrap_rate(values: Sequence[bool | None], *, seed: int = 0, n_boot: int = 1000) -> dict[str, Any]:
    """``{"rate", "lo", "hi", "n", "k"}`` over the values that are not None; 95% percentile bootstrap CI."""
    applied = [bool(v) for v in values if v is not None]
    n, k = len(applied), sum(applied)
    if n == 0:
        return {"rate": None, "lo": None, "hi": None, "n": 0, "k": 0}
    lo = hi = None
    if n_boot > 0:  # resampling n yes/no values counts k* ~ Binomial(n, k/n): the same bootstrap, O(n_boot)
        means = np.random.default_rng(seed).binomial(n, k / n, size=n_boot) / n
        lo, hi = (float(x) for x in np.percentile(means, [2.5, 97.5]))
    return {"rate": k / n, "lo": lo, "hi": hi, "n": n, "k": k}


def _stats(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "p50": None, "p90": None, "mean": None}
    arr = np.asarray(values, dtype=float)
    p50, p90 = (float(x) for x in np.percentile(arr, [50, 90]))
    return {"n": int(arr.size), "p50": p50, "p90": p90, "mean": float(arr.mean())}


def _group(
    scored: Sequence[tuple[CaseScore, CaseResult, EvalCase]], seed: int, n_boot: int
) -> dict[str, Any]:
    scores = [s for s, _, _ in scored]
    results = [r for _, r, _ in scored]
    rates = {
        name: bootstrap_rate([s.value(name) for s in scores], seed=seed, n_boot=n_boot) for name in RATE_NAMES
    }
    confusion = {tier: dict.fromkeys((*TIERS, UNROUTED), 0) for tier in TIERS}
    for score, result, case in scored:
        if score.routed_ok is not None and case.expected_tier in confusion:
            routed = result.routed_tier if result.routed_tier in TIERS else UNROUTED
            confusion[case.expected_tier][routed] += 1
    ttft = [r.ttft_ms for r in results if r.ttft_ms is not None and math.isfinite(r.ttft_ms)]
    decode = [r.decode_tok_s for r in results if r.decode_tok_s is not None and math.isfinite(r.decode_tok_s)]
    total = [r.total_ms for r in results if r.total_ms is not None and math.isfinite(r.total_ms)]
    ttft_stats, decode_stats, total_stats = _stats(ttft), _stats(decode), _stats(total)
    return {
        **rates,
        "n_cases": len(scores),
        "n_errors": sum(r.error is not None for r in results),
        "router": {"accuracy": rates["routed_ok"], "confusion": confusion},
        "latency": {
            "ttft_ms_p50": ttft_stats["p50"],
            "ttft_ms_p90": ttft_stats["p90"],
            "decode_tok_s_mean": decode_stats["mean"],
            "total_ms_mean": total_stats["mean"],
            "n": ttft_stats["n"],
        },
        "tokens": {
            "prompt": sum(r.prompt_tokens for r in results),
            "completion": sum(r.completion_tokens for r in results),
            "model_calls": sum(r.model_calls for r in results),
        },
        "malformed": sum(r.malformed for r in results),
        "malformed_cases": sum(r.malformed > 0 for r in results),
    }


def score_pairs(pairs: Iterable[tuple[EvalCase, CaseResult]]) -> list[CaseScore]:
    return [score_case(case, result) for case, result in pairs]


def summarize(
    pairs: Iterable[tuple[EvalCase, CaseResult]], *, seed: int = 0, n_boot: int = 1000
) -> dict[str, Any]:
    """``{"overall": group, "per_tier": {tier: group}, "per_tag": {tag: group}}``.

    A group holds every rate of `RATE_NAMES` by name, ``n_cases``, ``n_errors``, ``router`` (accuracy and
    confusion expected × routed), ``latency``, ``tokens``, ``malformed`` and ``malformed_cases``."""
    scored = [(score_case(case, result), result, case) for case, result in pairs]
    tiers = [t for t in TIERS if any(s.tier == t for s, _, _ in scored)]
    tiers += sorted({s.tier for s, _, _ in scored if s.tier and s.tier not in TIERS})
    tags = sorted({tag for s, _, _ in scored for tag in s.tags})
    return {
        "overall": _group(scored, seed, n_boot),
        "per_tier": {t: _group([x for x in scored if x[0].tier == t], seed, n_boot) for t in tiers},
        "per_tag": {tag: _group([x for x in scored if tag in x[0].tags], seed, n_boot) for tag in tags},
    }


# ---- files ---------------------------------------------------------------------------------------------


def _tool_accuracy(group: Mapping[str, Any]) -> dict[str, Any]:
    out = {key: group[rate] for key, rate in _TOOL_ACCURACY_KEYS.items()}
    return {**out, "malformed": group["malformed"], "malformed_cases": group["malformed_cases"]}


def _coherence_shares(group: Mapping[str, Any]) -> dict[str, Any]:
    return {label: group[label] for label in COHERENCE_LABELS}


def write_metric_files(out_dir: Path, summary: Mapping[str, Any]) -> list[Path]:
    """Write ``tool_accuracy.json``, ``thinking_action_coherence.json``, ``per_tier_scores.json``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tiers = summary.get("per_tier", {})
    documents = {
        TOOL_ACCURACY_JSON: {
            "overall": _tool_accuracy(summary["overall"]),
            "per_tier": {t: _tool_accuracy(g) for t, g in tiers.items()},
        },
        COHERENCE_JSON: {
            "overall": _coherence_shares(summary["overall"]),
            "per_tier": {t: _coherence_shares(g) for t, g in tiers.items()},
        },
        PER_TIER_JSON: dict(summary),
    }
    paths = []
    for name, document in documents.items():
        path = out_dir / name
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
