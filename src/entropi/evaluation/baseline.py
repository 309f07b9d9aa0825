"""Decide before training: how well does the bare base model already do on a tier's cases?

`scripts/fine_tune.py` runs this before it trains (``baseline: false`` skips it). Above
`PROMPTING_ENOUGH` of the cases passing, prompting may be enough and the run says so; training still
goes ahead. The figures go into the new version's manifest and report, so the baseline stays with it.

The bare base's results only change with the base GGUF, the project config and the cases, so they are kept
in a cache folder (``<project>/.entropi/cache/baseline/``) under a key of exactly those (the GGUF's sha256,
the config as JSON, every case, entropi's version): a second run on the same base reuses them instead of
spending minutes of CPU on the same greedy generations. An unreadable or mismatched cache entry is ignored.
Non-goals: comparing adapters (`compare.py`), the promotion gate (`gate.py`).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entropi import __version__
from entropi.evaluation.cases import EvalCase
from entropi.evaluation.metrics import pair_results, summarize
from entropi.evaluation.promotion import BASE_LABEL, Evaluator, gate_cases
from entropi.evaluation.results import CaseResult, ResultsError, read_results, write_results
from entropi.inference.filehash import file_sha256

PROMPTING_ENOUGH = 0.70
RATES = ("passed", "selected", "valid", "coherent")


@dataclass
class Baseline:
    """The figures a run keeps in its manifest, and the per-case results the promotion gate can reuse."""

    figures: dict[str, Any]
    results: list[CaseResult]
    reused: Path | None = None  # the cache file the results came from, when they were not measured now


def cache_key(config: Any, gguf: Path, cases: Sequence[EvalCase]) -> str:
    """What the bare base's results depend on, hashed: the GGUF's bytes, the config, the cases, the code."""
    digest = hashlib.sha256(f"{__version__}\n{file_sha256(gguf)}\n".encode())
    digest.update(config.model_dump_json().encode())
    for case in cases:
        digest.update(b"\n" + case.model_dump_json().encode())
    return digest.hexdigest()[:32]


def _cached(path: Path, cases: Sequence[EvalCase]) -> list[CaseResult] | None:
    """The cached results at ``path`` if they are readable and cover exactly ``cases``."""
    try:
        rows = read_results(path)
    except ResultsError:
        return None
    return rows if sorted(r.case_id for r in rows) == sorted(c.id for c in cases) else None


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
    cache: Path | None = None,
) -> Baseline:
    """The base ``gguf`` (no adapter) on the tier's gate cases: rates with 95% CIs and the verdict.

    ``on_start(n_cases)`` and ``on_result(result)`` report progress (the default evaluator only). With
    ``cache`` (a folder), results measured before under the same `cache_key` are reused, and new ones kept."""
    chosen = list(cases) if cases is not None else gate_cases(config, tier)
    if limit is not None:
        chosen = chosen[:limit]
    on_base = config.model_copy(update={"model": config.model.model_copy(update={"path": gguf})})
    entry = cache / f"{tier}-{cache_key(on_base, gguf, chosen)}.results.jsonl" if cache else None
    rows = _cached(entry, chosen) if entry is not None and entry.is_file() else None
    reused = entry if rows is not None else None
    if rows is None:
        if on_start is not None:
            on_start(len(chosen))
        if evaluator is None:
            from entropi.evaluation.runner import evaluate_variants

            variants = {BASE_LABEL: None}
            measured = evaluate_variants(on_base, project_root, chosen, variants, on_result=on_result)
        else:
            measured = evaluator(on_base, project_root, chosen, {BASE_LABEL: None})
        rows = list(measured[BASE_LABEL])
        if entry is not None:
            with contextlib.suppress(OSError):  # a read-only project: the run goes on without the entry
                write_results(entry, rows)
    overall = summarize(pair_results(chosen, rows))["overall"]
    rates = {name: overall[name] for name in RATES if overall.get(name)}
    rate = (rates.get("passed") or {}).get("rate") or 0.0
    figures = {
        "model": gguf.name,
        "tier": tier,
        "cases": len(chosen),
        "rates": rates,
        "prompting_may_suffice": rate > PROMPTING_ENOUGH,
        "verdict": verdict(rate),
        "reused": str(reused) if reused else None,
    }
    return Baseline(figures, rows, reused)
