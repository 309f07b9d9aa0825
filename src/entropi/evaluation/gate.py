"""The promotion gate: may a tier's candidate adapter replace the current one? A pure decision on numbers.

`decide` reads two `metrics.summarize` summaries (candidate, and the current adapter's — the base model's
when the tier has none) and two general-chat losses (`chat_loss.reply_nll`), and checks the tier's
`evaluation.gates.<tier>` settings:

- ``cases``: the candidate was evaluated on at least ``min_cases`` cases.
- ``validity``: share of outputs attempting a tool call that are well-formed and schema-valid
  ≥ ``min_validity`` (not measured — no case attempted a call — fails).
- ``selection``: share of cases with an expected tool whose first call is that tool ≥ ``min_selection``
  (not measured fails).
- ``coherence`` (when ``require_coherence_gain``): the candidate's share of coherent think→action turns is
  higher than the baseline's; equal at 1.0 passes (a perfect baseline cannot be beaten). Not measured on
  either side (a tier that does not think) passes; measured on the baseline only fails; measured on the
  candidate only, or no baseline summary, passes.
- ``chat_loss``: relative rise of the general-chat reply loss, (cand − base) / base, is at most
  ``max_chat_loss_increase`` (either loss missing fails).

Rates come from the summary's group for the tier (``per_tier[tier]``, else ``overall``).
Non-goals: running cases (`runner.py`), computing losses (`chat_loss.py`), moving the pointer
(`promotion.py`, `training.registry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from entropi.config.schema import GateConfig

_EPS = 1e-9  # thresholds are inclusive: 1.05 vs 1.00 is a +5% rise, whatever floating point says


@dataclass(frozen=True)
class GateCheck:
    """One gate: its measured value, the threshold it is held to, and why it passed or failed."""

    name: str
    passed: bool
    value: float | None
    threshold: float | None
    detail: str = ""


@dataclass(frozen=True)
class GateDecision:
    """Every check of one promotion; ``accepted`` only when all passed."""

    tier: str
    accepted: bool
    checks: list[GateCheck] = field(default_factory=list)

    @property
    def failed(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    def reason(self) -> str:
        """One line: "accepted" or every failed gate with its value, threshold and detail."""
        if self.accepted:
            return f"{self.tier}: accepted, every gate passed ({', '.join(c.name for c in self.checks)})"
        parts = [f"{c.name}: {c.detail}" for c in self.failed]
        return f"{self.tier}: refused by {len(parts)} gate(s): " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"tier": self.tier, "accepted": self.accepted, "checks": [asdict(c) for c in self.checks]}


def tier_group(summary: Mapping[str, Any], tier: str) -> Mapping[str, Any]:
    """The summary group a tier's gate reads: ``per_tier[tier]`` when present, else ``overall``."""
    group = (summary.get("per_tier") or {}).get(tier)
    return group if group is not None else summary["overall"]


def rate_of(group: Mapping[str, Any] | None, name: str) -> float | None:
    entry = (group or {}).get(name) or {}
    return entry.get("rate")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _rate_check(name: str, group: Mapping[str, Any], key: str, minimum: float, what: str) -> GateCheck:
    entry = group.get(key) or {}
    rate = entry.get("rate")
    if rate is None:
        return GateCheck(name, False, None, minimum, f"not measured: no case {what}")
    ci = f", 95% CI [{_fmt(entry.get('lo'))}, {_fmt(entry.get('hi'))}]" if entry.get("lo") is not None else ""
    passed = rate >= minimum - _EPS
    detail = f"{rate:.3f} {'≥' if passed else '<'} {minimum} ({entry.get('k')}/{entry.get('n')}{ci})"
    return GateCheck(name, passed, rate, minimum, detail)


def _coherence_check(cand: Mapping[str, Any], base: Mapping[str, Any] | None, required: bool) -> GateCheck:
    mine, theirs = rate_of(cand, "coherent"), rate_of(base, "coherent")
    if not required:
        return GateCheck("coherence", True, mine, theirs, "gain not required for this tier")
    if base is None:
        return GateCheck("coherence", True, mine, None, "no baseline evaluated: nothing to beat")
    if mine is None and theirs is None:
        return GateCheck("coherence", True, None, None, "not measured: no case produced thinking to score")
    if mine is None:
        return GateCheck(
            "coherence",
            False,
            None,
            theirs,
            f"the candidate has no scored thinking, the baseline {theirs:.3f}",
        )
    if theirs is None:
        return GateCheck("coherence", True, mine, None, f"{mine:.3f}; the baseline has no scored thinking")
    passed = mine > theirs or mine == theirs == 1.0
    sign = ">" if mine > theirs else "=" if mine == theirs else "<"
    note = " (both perfect)" if mine == theirs == 1.0 else "" if passed else ": must be higher"
    return GateCheck(
        "coherence", passed, mine, theirs, f"coherent share {mine:.3f} {sign} {theirs:.3f}{note}"
    )


def _chat_check(cand: float | None, base: float | None, margin: float) -> GateCheck:
    if cand is None or base is None:
        return GateCheck("chat_loss", False, None, margin, "not measured: the general-chat loss is missing")
    rise = (cand - base) / base if base > 0 else (0.0 if cand <= base else float("inf"))
    passed = rise <= margin + _EPS
    sign = "≤" if passed else ">"
    detail = f"{cand:.4f} vs {base:.4f} nats/token: {rise:+.1%} {sign} +{margin:.1%}"
    return GateCheck("chat_loss", passed, rise, margin, detail)


def decide(
    tier: str,
    candidate_summary: Mapping[str, Any],
    current_summary: Mapping[str, Any] | None,
    chat_loss_candidate: float | None,
    chat_loss_current: float | None,
    gate_config: GateConfig,
) -> GateDecision:
    """Check the candidate against ``gate_config`` and the baseline (see the module docstring)."""
    cand = tier_group(candidate_summary, tier)
    base = tier_group(current_summary, tier) if current_summary is not None else None
    n_cases = int(cand.get("n_cases") or 0)
    checks = [
        GateCheck(
            "cases",
            n_cases >= gate_config.min_cases,
            float(n_cases),
            float(gate_config.min_cases),
            f"{n_cases} case(s) evaluated, {gate_config.min_cases} needed",
        ),
        _rate_check("validity", cand, "valid", gate_config.min_validity, "attempted a tool call"),
        _rate_check("selection", cand, "selected", gate_config.min_selection, "expects a tool"),
        _coherence_check(cand, base, gate_config.require_coherence_gain),
        _chat_check(chat_loss_candidate, chat_loss_current, gate_config.max_chat_loss_increase),
    ]
    return GateDecision(tier, all(c.passed for c in checks), checks)
