"""What the SFT and DPO stages share: trainer arguments from stage settings, resuming, early stop, results.

Also renders and length-checks rows into datasets (each stage brings its renderer and length rule).
Non-goals: choosing models (``backends``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entropi.training.backends import Backend
from entropi.training.config import FineTuneConfig, StageSettings


@dataclass
class StageData:
    """A stage's prepared datasets (``eval`` None when there are no eval rows) and the rows skipped."""

    train: Any
    eval: Any | None
    skipped: int


@dataclass
class StageResult:
    """One finished stage: its metrics (train/eval loss, steps, tokens/s, …) and the trainer's log."""

    stage: str
    metrics: dict[str, Any]
    log_history: list[dict[str, Any]] = field(default_factory=list)


def trainer_args(
    stage: str,
    settings: StageSettings,
    config: FineTuneConfig,
    backend: Backend,
    work: Path,
    *,
    has_eval: bool,
) -> dict[str, Any]:
    """TrainingArguments keywords common to both stages (the stage adds its own)."""
    early_stop = has_eval and settings.early_stopping_patience is not None
    return {
        "output_dir": str(work / "checkpoints" / stage),
        "num_train_epochs": settings.epochs,
        "max_steps": settings.max_steps or -1,
        "per_device_train_batch_size": settings.batch_size,
        "per_device_eval_batch_size": settings.batch_size,
        "gradient_accumulation_steps": settings.grad_accum,
        "learning_rate": settings.learning_rate,
        "lr_scheduler_type": settings.lr_scheduler,
        "warmup_steps": settings.warmup_ratio,  # a float below 1 is a share of the steps
        "weight_decay": settings.weight_decay,
        "logging_steps": config.logging_steps,
        "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": settings.eval_steps,
        "save_strategy": "steps",
        "save_steps": settings.eval_steps,
        "save_total_limit": 2,
        "load_best_model_at_end": early_stop,
        "metric_for_best_model": "eval_loss" if early_stop else None,
        "greater_is_better": False if early_stop else None,
        "seed": config.seed,
        "data_seed": config.seed,
        "report_to": "none",
        "disable_tqdm": True,
        "include_num_input_tokens_seen": "non_padding",
        "dataloader_num_workers": 0,
        **backend.trainer_kwargs(config),
    }


def callbacks(settings: StageSettings, *, has_eval: bool, extra: list[Any]) -> list[Any]:
    from transformers import EarlyStoppingCallback

    out = list(extra)
    if has_eval and settings.early_stopping_patience is not None:
        out.append(EarlyStoppingCallback(early_stopping_patience=settings.early_stopping_patience))
    return out


def run(trainer: Any, stage: str, *, resume: bool, has_eval: bool, rows: int, skipped: int) -> StageResult:
    """Train (from the last checkpoint when resuming), evaluate, and collect the stage's metrics."""
    from transformers.trainer_callback import PrinterCallback
    from transformers.trainer_utils import get_last_checkpoint

    trainer.remove_callback(PrinterCallback)  # the rich progress bar shows the loss instead of raw log dicts
    checkpoint = None
    out_dir = Path(trainer.args.output_dir)
    if resume and out_dir.is_dir():
        checkpoint = get_last_checkpoint(str(out_dir))
    started = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=checkpoint)
    seconds = time.perf_counter() - started
    state = trainer.state
    tokens = int(state.num_input_tokens_seen or 0)
    metrics: dict[str, Any] = {
        "rows": rows,
        "skipped_too_long": skipped,
        "steps": state.global_step,
        "train_loss": round(float(output.training_loss), 6),
        "train_seconds": round(seconds, 2),
        "tokens": tokens,
        "tokens_per_s": round(tokens / seconds, 1) if seconds > 0 else None,
        "resumed_from": Path(checkpoint).name if checkpoint else None,
        "stopped_early": bool(state.max_steps and state.global_step < state.max_steps),
    }
    if has_eval:
        for key, value in trainer.evaluate().items():
            if key.startswith("eval_") and isinstance(value, int | float) and "runtime" not in key:
                metrics[key] = round(float(value), 6)
    return StageResult(stage, metrics, list(state.log_history))


def stage_data(
    stage: str,
    train_rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    render: Callable[[dict[str, Any]], dict[str, Any]],
    length: Callable[[dict[str, Any]], int],
    max_length: int,
) -> StageData:
    """Render every row up front (a bad row fails before training); skip and count rows over max_length."""
    from datasets import Dataset

    from entropi.training.datasets import DatasetError
    from entropi.training.render import RenderError

    def examples(rows: list[dict[str, Any]], what: str) -> tuple[list[dict[str, Any]], int]:
        kept, skipped = [], 0
        for number, row in enumerate(rows, 1):
            try:
                example = render(row)
            except RenderError as exc:
                raise DatasetError(f"{what} row {number}: {exc}") from exc
            if length(example) > max_length:
                skipped += 1
                continue
            kept.append(example)
        if rows and not kept:
            raise DatasetError(f"{what}: all {len(rows)} rows are longer than max_length={max_length} tokens")
        return kept, skipped

    train, skipped = examples(train_rows, f"{stage}_train")
    evaluation, _ = examples(eval_rows, f"{stage}_eval")
    return StageData(Dataset.from_list(train), Dataset.from_list(evaluation) if evaluation else None, skipped)
