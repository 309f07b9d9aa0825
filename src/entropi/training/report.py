"""What a run shows and leaves behind: a rich progress bar with the loss, a loss-curve PNG, a Markdown report.

Non-goals: the metrics themselves (the trainers log them), evaluation reports (the evaluation issue).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from transformers import TrainerCallback

LOSS_PNG = "loss.png"
REPORT_MD = "report.md"
# The report's metrics (the manifest keeps every one the trainers logged).
REPORTED = (
    "rows",
    "skipped_too_long",
    "steps",
    "train_loss",
    "eval_loss",
    "eval_mean_token_accuracy",
    "eval_rewards/accuracies",
    "eval_rewards/margins",
    "tokens_per_s",
    "train_seconds",
    "stopped_early",
    "resumed_from",
)


class RichProgress(TrainerCallback):
    """One progress bar per stage: steps done, the last train loss, eval losses as lines above it."""

    def __init__(self, stage: str, console: Console) -> None:
        self.stage = stage
        self.console = console
        self._progress: Progress | None = None
        self._task: Any = None
        self._loss = "…"

    def on_train_begin(self, args, state, control, **kwargs):
        self._progress = Progress(
            TextColumn(f"[bold]{self.stage}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(
            self.stage, total=state.max_steps, completed=state.global_step, loss="…"
        )

    def on_step_end(self, args, state, control, **kwargs):
        if self._progress is not None:
            self._progress.update(self._task, completed=state.global_step, loss=self._loss)

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" in logs:
            self._loss = f"{logs['loss']:.4f}"
        if "eval_loss" in logs and self._progress is not None:
            self._progress.console.print(
                f"  {self.stage} step {state.global_step}: eval loss {logs['eval_loss']:.4f}"
            )

    def on_train_end(self, args, state, control, **kwargs):
        if self._progress is not None:
            self._progress.update(self._task, completed=state.global_step, loss=self._loss)
            self._progress.stop()
            self._progress = None


def loss_series(log_history: Sequence[Mapping[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """(steps, values) of ``key`` in a trainer's log history, skipping non-finite values."""
    steps, values = [], []
    for entry in log_history:
        value = entry.get(key)
        if isinstance(value, int | float) and math.isfinite(value) and "step" in entry:
            steps.append(int(entry["step"]))
            values.append(float(value))
    return steps, values


def plot_loss_curves(histories: Mapping[str, Sequence[Mapping[str, Any]]], path: Path) -> Path | None:
    """One panel per stage with train and eval loss; None when no stage logged a loss."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = [s for s, h in histories.items() if loss_series(h, "loss")[0]]
    if not stages:
        return None
    fig, axes = plt.subplots(1, len(stages), figsize=(5.5 * len(stages), 3.6), squeeze=False)
    for ax, stage in zip(axes[0], stages, strict=True):
        for key, style in (("loss", "-"), ("eval_loss", "o--")):
            steps, values = loss_series(histories[stage], key)
            if steps:
                ax.plot(steps, values, style, label=key.replace("_", " "))
        ax.set_title(stage.upper())
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def write_report(
    folder: Path, manifest: Mapping[str, Any], histories: Mapping[str, Sequence[Mapping[str, Any]]]
) -> Path:
    """``report.md`` (and ``loss.png``) in ``folder``: what was trained, on what, and how it went."""
    folder = Path(folder)
    png = plot_loss_curves(histories, folder / LOSS_PNG)
    base = manifest.get("base_model", {})
    dataset = manifest.get("dataset", {})
    lines = [
        f"# {manifest.get('tier')} adapter {manifest.get('version')}",
        "",
        f"- created: {manifest.get('created')}",
        f"- base: {base.get('id')} ({base.get('arch')}, sha256 {str(base.get('sha256'))[:16]}…)",
        f"- backend: {manifest.get('training', {}).get('backend')}",
        f"- LoRA: rank {manifest.get('rank')}, alpha {manifest.get('alpha')}, "
        f"targets {', '.join(manifest.get('target_modules', []))}",
        f"- dataset: {dataset.get('dir')} (sha256 {str(dataset.get('sha256'))[:16]}…), "
        + ", ".join(f"{k} {v}" for k, v in dataset.get("counts", {}).items()),
        f"- code: {manifest.get('code_revision')}",
        "",
        "## Metrics",
        "",
        "| stage | metric | value |",
        "|---|---|---|",
    ]
    for stage, metrics in manifest.get("metrics", {}).get("training", {}).items():
        shown = [key for key in REPORTED if metrics.get(key) is not None]
        lines += [f"| {stage} | {key} | {_fmt(metrics[key])} |" for key in shown]
    baseline = manifest.get("metrics", {}).get("baseline")
    if baseline:
        lines += ["", f"## Baseline before training ({baseline['model']}, {baseline['cases']} cases)", ""]
        lines += [
            f"- {name}: {_fmt(r['rate'])} (95% CI {_fmt(r['lo'])}–{_fmt(r['hi'])})"
            for name, r in baseline["rates"].items()
        ]
        lines += [f"- decision: {baseline['verdict']}"]
    if png is not None:
        lines += ["", "## Loss", "", f"![loss curves]({LOSS_PNG})"]
    path = folder / REPORT_MD
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
