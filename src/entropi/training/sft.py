"""SFT stage: TRL's SFTTrainer on pre-tokenized rows, loss on the target assistant turns only.

Rows are rendered by ``render.TrainingRenderer`` (the runtime's chat template) into ``input_ids`` +
``assistant_masks``; TRL turns the mask into labels. Rows longer than ``max_length`` are skipped (cutting
one would train on half a tool call) and counted. Non-goals: DPO, saving or exporting the adapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from entropi.data.turns import query_index
from entropi.training.backends import Backend
from entropi.training.config import FineTuneConfig
from entropi.training.render import TrainingRenderer
from entropi.training.stages import StageData, StageResult, callbacks, run, stage_data, trainer_args


def first_turn(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` cut after the first assistant message that follows the user's query.

    The query is the last user message a person wrote: entropi's own user-role messages (todo anchors,
    repair requests) come later in a turn and are not where the first call is decided.
    """
    messages = row["messages"]
    query = query_index(messages)
    start = -1 if query is None else query
    for i in range(start + 1, len(messages)):
        if messages[i].get("role") == "assistant":
            return {**row, "messages": messages[: i + 1]}
    return row


def build_sft_data(
    train_rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    renderer: TrainingRenderer,
    max_length: int,
    *,
    first_turn_only: bool = False,
) -> StageData:
    """Tokenized train/eval datasets (input_ids + assistant_masks); every row is checked before training."""
    if first_turn_only:
        train_rows = [first_turn(r) for r in train_rows]
        eval_rows = [first_turn(r) for r in eval_rows]
    return stage_data(
        "sft",
        train_rows,
        eval_rows,
        renderer.sft_example,
        lambda example: len(example["input_ids"]),
        max_length,
    )


def run_sft(
    model: Any,
    tokenizer: Any,
    backend: Backend,
    config: FineTuneConfig,
    data: StageData,
    work: Path,
    extra_callbacks: list[Any],
) -> StageResult:
    """Train ``model`` (a PEFT model) in place; returns the stage metrics."""
    from trl import SFTConfig, SFTTrainer

    from entropi.training.prefix_share import SharedPrefixSFTTrainer

    settings = config.sft
    has_eval = data.eval is not None
    args = SFTConfig(
        **trainer_args("sft", settings, config, backend, work, has_eval=has_eval),
        max_length=settings.max_length,
        packing=False,
    )
    trainer_class = SharedPrefixSFTTrainer if settings.share_prefix else SFTTrainer
    trainer = trainer_class(
        model=model,
        args=args,
        train_dataset=data.train,
        eval_dataset=data.eval,
        processing_class=tokenizer,
        callbacks=callbacks(settings, has_eval=has_eval, extra=extra_callbacks),
    )
    return run(
        trainer, "sft", resume=config.resume, has_eval=has_eval, rows=len(data.train), skipped=data.skipped
    )
