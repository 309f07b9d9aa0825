"""DPO stage: TRL's DPOTrainer starting from the SFT adapter, with a frozen copy of it as the reference.

Given a PEFT model and no ``ref_model``, TRL copies the ``default`` adapter into a frozen ``ref`` adapter
and computes reference log-probs with it: the SFT adapter is both start and reference, at the memory
cost of one extra LoRA. Rows are rendered to prompt/chosen/rejected text ending with the template's
end-of-turn token, which becomes the tokenizer's eos so TRL appends nothing. Non-goals: SFT, export.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from entropi.training.backends import Backend
from entropi.training.config import FineTuneConfig
from entropi.training.render import RenderError, TrainingRenderer
from entropi.training.stages import StageData, StageResult, callbacks, run, stage_data, trainer_args


def build_dpo_data(
    train_rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    renderer: TrainingRenderer,
    max_length: int,
) -> StageData:
    """prompt/chosen/rejected text datasets; every row is checked here, before any training."""
    if renderer.turn_end_id is None:
        raise RenderError(
            f"DPO needs the chat template's end of turn ({renderer.turn_end!r}) to be one token"
        )
    tokenizer = renderer.tokenizer

    def length(example: dict[str, Any]) -> int:
        n = {k: len(tokenizer(v, add_special_tokens=False)["input_ids"]) for k, v in example.items()}
        return n["prompt"] + max(n["chosen"], n["rejected"])

    return stage_data("dpo", train_rows, eval_rows, renderer.dpo_example, length, max_length)


def run_dpo(
    model: Any,
    tokenizer: Any,
    backend: Backend,
    config: FineTuneConfig,
    data: StageData,
    work: Path,
    extra_callbacks: list[Any],
    *,
    turn_end: str,
) -> StageResult:
    """Continue training ``model``'s ``default`` adapter with DPO; the ``ref`` copy is removed afterwards."""
    from trl import DPOConfig, DPOTrainer

    tokenizer.eos_token = turn_end
    settings = config.dpo
    has_eval = data.eval is not None
    args = DPOConfig(
        **trainer_args("dpo", settings, config, backend, work, has_eval=has_eval),
        beta=settings.beta,
        loss_type=[settings.loss_type],
        max_length=settings.max_length,
    )
    trainer = DPOTrainer(
        model=model,
        ref_model=None,
        args=args,
        train_dataset=data.train,
        eval_dataset=data.eval,
        processing_class=tokenizer,
        callbacks=callbacks(settings, has_eval=has_eval, extra=extra_callbacks),
    )
    result = run(
        trainer, "dpo", resume=config.resume, has_eval=has_eval, rows=len(data.train), skipped=data.skipped
    )
    if "ref" in getattr(model, "peft_config", {}):
        model.delete_adapter("ref")
    return result
