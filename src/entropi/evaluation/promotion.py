"""Promotion through the gate: evaluate a candidate version against the tier's current adapter (the base
model when none is current), decide, keep the verdict with the candidate, and move ``current`` — or refuse.

Used by `entropi adapters promote` and `scripts/fine_tune.py --promote`. The case evaluator
(`runner.evaluate_variants`) and the chat-loss function (`chat_loss.chat_losses`) are parameters, so both
commands can be tested without the model. The verdict goes into the candidate's ``manifest.json``
(``metrics.evaluation``, which `entropi adapters list` shows) and, with every case result, into
``<version>/evaluation/``; the promotion itself (forced or not) goes into the tier's history.
Non-goals: the decision rules (`gate.py`), running cases (`runner.py`), the pointer and its history
(`training.registry`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from entropi.evaluation.cases import EvalCase, builtin_cases, load_cases, load_general_chat
from entropi.evaluation.gate import GateDecision, decide, rate_of, tier_group
from entropi.evaluation.metrics import pair_results, summarize
from entropi.evaluation.results import CaseResult, read_results, write_results
from entropi.training import registry

BASE_LABEL = "base"
EVALUATION_DIR = "evaluation"
BASELINE_DIR = "baseline"  # fine_tune's results for the bare base, measured before training
BASELINE_RESULTS = "base.results.jsonl"

Evaluator = Callable[[Any, Path, Sequence[EvalCase], dict[str, Path | None]], Mapping[str, list[CaseResult]]]
"""``(config, project_root, cases, {label: adapter or None}) -> {label: results}`` (`evaluate_variants`)."""
ChatLoss = Callable[[Any, Path, str, dict[str, Path | None], Sequence[Any]], Mapping[str, float]]
"""``(config, project_root, tier, {label: adapter or None}, conversations) -> {label: nll}``."""


class PromotionError(Exception):
    """A promotion that cannot be evaluated (no such version, nothing to evaluate on, already current)."""


def _gate_errors() -> tuple[type[BaseException], ...]:
    from entropi.config import ConfigError
    from entropi.evaluation.cases import CaseError
    from entropi.evaluation.chat_loss import ChatLossError
    from entropi.evaluation.metrics import MetricsError
    from entropi.inference.adapters import AdapterError
    from entropi.inference.llama_model import LlamaError

    return (
        PromotionError,
        registry.RegistryError,
        CaseError,
        ChatLossError,
        MetricsError,
        AdapterError,
        ConfigError,
        LlamaError,
    )


GATE_ERRORS = _gate_errors()
"""What a promotion can fail with, short of a bug: shown as one line, the version left as it is."""


@dataclass
class PromotionReport:
    """What the gate saw and decided for one candidate, and whether ``current`` moved."""

    tier: str
    version: str
    baseline: str  # the version compared against, or "base"
    decision: GateDecision
    summaries: dict[str, dict[str, Any]]
    chat_loss: dict[str, float]
    n_cases: int
    promoted: bool = False
    forced: bool = False

    def evaluation_record(self) -> dict[str, Any]:
        """The scalars kept in the candidate's manifest (``metrics.evaluation``); headline numbers first."""
        group = tier_group(self.summaries[self.version], self.tier)
        return {
            "validity": rate_of(group, "valid"),
            "selection": rate_of(group, "selected"),
            "coherence": rate_of(group, "coherent"),
            "chat_loss": self.chat_loss.get(self.version),
            "cases": self.n_cases,
            "baseline": self.baseline,
            "baseline_chat_loss": self.chat_loss.get(self.baseline),
            "accepted": self.decision.accepted,
            "forced": self.forced,
            "failed_gates": [c.name for c in self.decision.failed],
            "evaluated": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def gate_cases(config: Any, tier: str, files: Sequence[Path] | None = None) -> list[EvalCase]:
    """The cases a tier's candidate is judged on: ``files`` if given, else the shipped golden cases plus
    ``evaluation.cases``; only the tier's model and task cases (router-only cases do not touch adapters)."""
    if files:
        cases = load_cases(list(files))
    else:
        cases = builtin_cases(tier) + load_cases(list(config.evaluation.cases or []))
    chosen = [c for c in cases if c.tier == tier and c.kind in ("model", "task")]
    if not chosen:
        where = ", ".join(map(str, files)) if files else "the shipped cases and evaluation.cases"
        raise PromotionError(f"no {tier} cases to evaluate in {where}")
    return chosen


def _default_evaluator() -> Evaluator:
    from entropi.evaluation.runner import evaluate_variants

    return evaluate_variants


def _default_chat_loss() -> ChatLoss:
    from entropi.evaluation.chat_loss import chat_losses

    return chat_losses


def evaluate_candidate(
    config: Any,
    project_root: Path,
    adapters_root: Path,
    tier: str,
    version: str,
    *,
    cases: Sequence[EvalCase],
    conversations: Sequence[Any] | None = None,
    evaluator: Evaluator | None = None,
    chat_loss: ChatLoss | None = None,
    known: Mapping[str, list[CaseResult]] | None = None,
) -> PromotionReport:
    """Run ``cases`` and the chat loss for ``version`` and the tier's baseline, then decide; moves nothing.

    ``known`` holds results already measured on exactly ``cases`` (the bare base, from fine_tune's check
    before training); a variant found there is not run again."""
    folder = Path(adapters_root) / tier
    if not (folder / version / registry.ADAPTER_FILE).is_file():
        raise PromotionError(f"no adapter version {folder / version} (see `entropi adapters list`)")
    current = registry.current_version(adapters_root, tier)
    if current == version:
        raise PromotionError(f"{tier} {version} is already current")
    baseline = current or BASE_LABEL
    variants: dict[str, Path | None] = {
        version: folder / version,
        baseline: folder / current if current else None,
    }
    known = {label: rows for label, rows in (known or {}).items() if label in variants}
    to_run = {label: adapter for label, adapter in variants.items() if label not in known}
    results = dict((evaluator or _default_evaluator())(config, project_root, list(cases), to_run))
    results.update(known)
    summaries = {label: summarize(pair_results(cases, results[label])) for label in variants}
    chats = conversations if conversations is not None else load_general_chat()
    losses = dict((chat_loss or _default_chat_loss())(config, project_root, tier, variants, chats))
    decision = decide(
        tier,
        summaries[version],
        summaries[baseline],
        losses.get(version),
        losses.get(baseline),
        config.evaluation.gate(tier),
    )
    report = PromotionReport(tier, version, baseline, decision, summaries, losses, len(cases))
    _keep_results(folder / version / EVALUATION_DIR, results)
    _write_ab_report(folder / version / EVALUATION_DIR, cases, results, baseline, version)
    return report


def _write_ab_report(
    out: Path, cases: Sequence[EvalCase], results: Mapping[str, list[CaseResult]], baseline: str, version: str
) -> None:
    """The before/after HTML report (``report.html``, ``compare.json``) beside the gate's verdict."""
    from entropi.evaluation.compare import compare
    from entropi.evaluation.report import write_report

    comparison = compare(cases, results[baseline], results[version], label_a=baseline, label_b=version)
    write_report(out, comparison)


def baseline_results(folder: Path, cases: Sequence[EvalCase]) -> dict[str, list[CaseResult]]:
    """fine_tune's results from before training (``<version>/baseline/``) if they cover exactly ``cases``."""
    path = folder / BASELINE_DIR / BASELINE_RESULTS
    if not path.is_file():
        return {}
    try:
        rows = read_results(path)
    except (OSError, ValueError):
        return {}
    if sorted(r.case_id for r in rows) != sorted(c.id for c in cases):
        return {}
    return {BASE_LABEL: rows}


def _keep_results(out: Path, results: Mapping[str, list[CaseResult]]) -> None:
    for label, rows in results.items():
        write_results(out / f"{label}.results.jsonl", rows)


def _record(report: PromotionReport, folder: Path) -> None:
    """The verdict into ``<version>/evaluation/gate.json`` and the manifest's ``metrics.evaluation``."""
    out = folder / EVALUATION_DIR
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        **report.decision.to_dict(),
        "version": report.version,
        "baseline": report.baseline,
        "forced": report.forced,
        "promoted": report.promoted,
        "chat_loss": report.chat_loss,
        "summaries": report.summaries,
    }
    (out / "gate.json").write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    manifest = registry.read_manifest(folder) if (folder / registry.MANIFEST_FILE).is_file() else {}
    metrics = manifest.get("metrics") if isinstance(manifest.get("metrics"), dict) else {}
    manifest["metrics"] = {**metrics, "evaluation": report.evaluation_record()}
    registry.write_manifest(folder, manifest)


def promote_through_gate(
    config: Any,
    project_root: Path,
    adapters_root: Path,
    tier: str,
    version: str,
    *,
    force: bool = False,
    case_files: Sequence[Path] | None = None,
    conversations: Sequence[Any] | None = None,
    evaluator: Evaluator | None = None,
    chat_loss: ChatLoss | None = None,
) -> PromotionReport:
    """Evaluate ``version``; promote it when the gate accepts it, or anyway with ``force`` (recorded)."""
    cases = gate_cases(config, tier, case_files)
    folder = Path(adapters_root) / tier
    known = {} if registry.current_version(adapters_root, tier) else baseline_results(folder / version, cases)
    report = evaluate_candidate(
        config,
        project_root,
        adapters_root,
        tier,
        version,
        cases=cases,
        conversations=conversations,
        evaluator=evaluator,
        chat_loss=chat_loss,
        known=known,
    )
    if report.decision.accepted or force:
        forced = not report.decision.accepted
        gate = {"accepted": report.decision.accepted, "failed": [c.name for c in report.decision.failed]}
        registry.promote(adapters_root, tier, version, forced=forced, gate=gate)
        report.promoted, report.forced = True, forced
    _record(report, Path(adapters_root) / tier / version)
    return report
