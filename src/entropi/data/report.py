"""The extraction report: counts per tier, split, source, tool, label and pair type; what was skipped and why;
read errors; redactions; task-suite coverage. Serialised as `report.json` and a readable summary.
Non-goals: deciding anything (the pipeline counts, this module only holds and formats).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from entropi.data.labels import CallLabels
from entropi.data.turns import Turn
from entropi.modellog import LogReadError
from entropi.tasks import Task

MAX_ERROR_SAMPLES = 50


def _nested() -> defaultdict[str, Counter[str]]:
    return defaultdict(Counter)


@dataclass
class Report:
    """Every counter the extraction keeps; `to_dict` is report.json."""

    files: list[str] = field(default_factory=list)
    bytes_read: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of both processes when the pass runs in two (`workers`)
    worker_cpu_seconds: float = 0.0  # of these, the worker's
    workers: int = 1
    read_errors: list[LogReadError] = field(default_factory=list)
    turn_errors: list[str] = field(default_factory=list)
    join: Counter[str] = field(default_factory=Counter)
    calls: defaultdict[str, Counter[str]] = field(default_factory=_nested)
    sft: defaultdict[str, Counter[str]] = field(default_factory=_nested)
    dpo: defaultdict[str, Counter[str]] = field(default_factory=_nested)
    replay: Counter[str] = field(default_factory=Counter)
    redactions: Counter[str] = field(default_factory=Counter)
    coverage: defaultdict[str, Counter[str]] = field(default_factory=_nested)
    options: dict[str, Any] = field(default_factory=dict)

    def count_calls(self, turn: Turn, labels: Sequence[CallLabels]) -> None:
        for call, lb in zip(turn.calls, labels, strict=True):
            c = self.calls
            c["by_tier"][call.tier] += 1
            c["by_source"][turn.source] += 1
            c["by_first_tool"][lb.tools_called[0] if lb.tools_called else "(no call)"] += 1
            c["coherence"][lb.coherence.label] += 1
            c["coherence_by_tier"][f"{call.tier}/{lb.coherence.label}"] += 1
            c["validity"][lb.problem or "valid"] += 1
            c["executed"]["none" if lb.executed_ok is None else ("ok" if lb.executed_ok else "failed")] += 1
            c["approval"][lb.approval if lb.denied_by is None else f"denied_by_{lb.denied_by}"] += 1
            c["outcome"][lb.outcome or "none"] += 1
            c["checker"][
                "none" if lb.checker_passed is None else ("passed" if lb.checker_passed else "failed")
            ] += 1
            c["selection"]["sft_eligible" if lb.good else (lb.rejection or "neither")] += 1

    def turn_error(self, session_id: str, turn_index: int, exc: Exception) -> None:
        self.join[f"turn_skipped:{type(exc).__name__}"] += 1
        if len(self.turn_errors) < MAX_ERROR_SAMPLES:
            self.turn_errors.append(f"session {session_id} turn {turn_index}: {type(exc).__name__}: {exc}")

    def count_task_row(self, kind: str, task: Task | None) -> None:
        if task is None:
            return
        tags = task.tags
        self.coverage[f"{kind}_by_task"][task.id] += 1
        self.coverage[f"{kind}_by_kind_difficulty"][f"{tags.kind}/{tags.difficulty}"] += 1
        for edge in tags.edge_cases:
            self.coverage[f"{kind}_by_edge_case"][edge] += 1

    # -- taxonomy coverage (docs/taxonomy.md): from the task coordinates a self-play run logs ------------
    def count_taxonomy(self, kind: str, axes: dict[str, str] | None) -> None:
        """Count one emitted row per taxonomy axis (`<kind>_taxonomy_<axis>`, what as `tier/what`) and per
        cell (`<kind>_taxonomy_cells`: tier/what/phrasing/path/difficulty/edge)."""
        if not axes:
            return
        for axis, value in axes.items():
            key = f"{axes.get('tier', '?')}/{value}" if axis == "what" else value
            self.coverage[f"{kind}_taxonomy_{axis}"][key] += 1
        cell = "/".join(axes.get(a, "?") for a in ("tier", "what", "phrasing", "path", "difficulty", "edge"))
        self.coverage[f"{kind}_taxonomy_cells"][cell] += 1

    def to_dict(self, tasks: Sequence[Task] = ()) -> dict[str, Any]:
        coherence = self.calls.get("coherence", Counter())
        judged = sum(coherence.values())
        covered = set(self.coverage.get("sft_by_task", {})) | set(self.coverage.get("dpo_by_task", {}))
        return {
            "inputs": {
                "files": self.files,
                "bytes": self.bytes_read,
                "seconds": round(self.seconds, 3),
                "cpu_seconds": round(self.cpu_seconds, 3),
                "workers": self.workers,
                "worker_cpu_seconds": round(self.worker_cpu_seconds, 3),
                "mb_per_s": round(self.bytes_read / 1e6 / self.seconds, 2) if self.seconds > 0 else None,
                "records": {
                    k.removeprefix("records_"): v for k, v in self.join.items() if k.startswith("records_")
                },
                "read_errors": len(self.read_errors),
                "read_error_samples": [str(e) for e in self.read_errors[:MAX_ERROR_SAMPLES]],
            },
            "join": {k: v for k, v in self.join.items() if not k.startswith("records_")},
            "turn_error_samples": self.turn_errors,
            "calls": {
                "total": judged,
                "unclear_share": round(coherence["unclear"] / judged, 4) if judged else None,
                **{k: dict(v) for k, v in self.calls.items()},
            },
            "sft": {k: dict(v) for k, v in self.sft.items()},
            "dpo": {k: dict(v) for k, v in self.dpo.items()},
            "replay": dict(self.replay),
            "redactions": dict(self.redactions),
            "coverage": {
                **{k: dict(v) for k, v in self.coverage.items()},
                "tasks_in_suite": len(tasks),
                "tasks_without_rows": sorted(t.id for t in tasks if t.id not in covered),
            },
            "options": self.options,
        }


def summary(report: dict[str, Any]) -> str:
    """A short readable summary of report.json."""
    inputs, calls, sft, dpo = report["inputs"], report["calls"], report["sft"], report["dpo"]
    lines = [
        f"read {len(inputs['files'])} file(s), {inputs['bytes'] / 1e6:.1f} MB in {inputs['seconds']:.1f} s "
        f"({inputs['mb_per_s'] or 0:.1f} MB/s); records: {_fmt(inputs['records'])}; "
        f"skipped as unreadable: {inputs['read_errors']}",
        f"model calls: {calls['total']}; coherence: {_fmt(calls.get('coherence', {}))} "
        f"(unclear share {calls['unclear_share']})",
        f"validity: {_fmt(calls.get('validity', {}))}",
        f"selection: {_fmt(calls.get('selection', {}))}",
    ]
    for name, part in (("SFT", sft), ("DPO", dpo)):
        lines.append(f"{name} rows per tier/split: {_fmt(part.get('rows', {}))}")
        for key in ("by_pair_type", "by_chosen_source", "by_source", "skipped"):
            if part.get(key):
                lines.append(f"  {key.replace('_', ' ')}: {_fmt(part[key])}")
    if report["replay"]:
        lines.append(f"replay: {_fmt(report['replay'])}")
    lines.append(f"redactions: {_fmt(report['redactions']) or 'none'}")
    cov = report["coverage"]
    if total := cov.get("tasks_in_suite"):
        lines.append(
            f"task coverage: {total - len(cov['tasks_without_rows'])}/{total} "
            f"tasks have rows; by kind/difficulty (SFT): {_fmt(cov.get('sft_by_kind_difficulty', {}))}"
        )
    lines += _taxonomy_lines(cov)
    return "\n".join(lines) + "\n"


def _taxonomy_lines(cov: dict[str, Any]) -> list[str]:
    """The taxonomy coverage of the SFT and DPO rows, one line per kind and axis (none: no lines)."""
    lines = []
    for kind in ("sft", "dpo"):
        axes = [k for k in sorted(cov) if k.startswith(f"{kind}_taxonomy_")]
        if axes:
            lines.append(f"taxonomy coverage ({kind.upper()} rows):")
            for k in axes:
                counts = cov[k]
                shown = f"{len(counts)} distinct" if k.endswith("_cells") else _fmt(counts)
                lines.append(f"  {k.removeprefix(f'{kind}_taxonomy_')}: {shown}")
    return lines


def _fmt(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
