"""The unsloth backend: QLoRA on one CUDA GPU with unsloth's ``FastLanguageModel`` (Qwen3-8B/14B class).

The defaults fit one 24 GB RTX 4090: 4-bit base weights, rank 32 on every linear projection, bf16,
unsloth's gradient checkpointing, 2 rows × 8 accumulation steps at 4k tokens. unsloth raises at import
without a GPU, so it is imported when a ``UnslothBackend`` is created (after ``choose_backend`` checked
CUDA) and before transformers/trl, whose classes it patches. The trainers are TRL's, as on the trl path.
Non-goals: multi-GPU (use the trl backend under ``accelerate launch``), full fine-tuning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from entropi.training.config import FineTuneConfig

DEFAULTS: dict[str, Any] = {
    "dtype": "bf16",
    "load_in_4bit": True,
    "gradient_checkpointing": True,
    "lora": {"rank": 32, "alpha": 32.0, "dropout": 0.0},  # dropout 0 keeps unsloth's fused LoRA kernels
    "sft": {
        "batch_size": 2,
        "grad_accum": 8,
        "max_length": 4096,
        "learning_rate": 2e-4,
        "share_prefix": False,
    },
    "dpo": {"batch_size": 1, "grad_accum": 8, "max_length": 4096, "learning_rate": 5e-6},
}


class UnslothBackend:
    """``FastLanguageModel.from_pretrained`` (4-bit) + ``FastLanguageModel.get_peft_model``."""

    name = "unsloth"
    device = "cuda"

    def __init__(self) -> None:
        import unsloth  # noqa: F401  (first: it patches transformers, peft and trl)
        from unsloth import FastLanguageModel

        self._flm = FastLanguageModel

    @staticmethod
    def _max_length(config: FineTuneConfig) -> int:
        return max(config.sft.max_length, config.dpo.max_length)

    def _dtype(self, config: FineTuneConfig) -> Any:
        import torch

        return {"auto": None, "bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[
            config.dtype
        ]

    def load(self, location: str, config: FineTuneConfig, adapter: Path | None = None) -> tuple[Any, Any]:
        # Given a PEFT dir, unsloth loads its base (adapter_config.json's base_model_name_or_path) and the
        # adapter on top, trainable, with its fast LoRA patches: the documented way to continue training.
        model, tokenizer = self._flm.from_pretrained(
            model_name=str(adapter) if adapter is not None else location,
            max_seq_length=self._max_length(config),
            dtype=self._dtype(config),
            load_in_4bit=config.load_in_4bit,
            full_finetuning=False,
        )
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if adapter is not None:
            self._flm.for_training(model)
        return model, tokenizer

    def add_lora(self, model: Any, config: FineTuneConfig) -> Any:
        return self._flm.get_peft_model(
            model,
            r=config.lora.rank,
            lora_alpha=config.lora.alpha,
            lora_dropout=config.lora.dropout,
            target_modules=list(config.lora.target_modules),
            bias="none",
            use_gradient_checkpointing="unsloth" if config.gradient_checkpointing else False,
            random_state=config.seed,
            max_seq_length=self._max_length(config),
        )

    def trainer_kwargs(self, config: FineTuneConfig) -> dict[str, Any]:
        import torch

        precision = config.dtype
        if precision == "auto":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        # unsloth applies its own gradient checkpointing in get_peft_model; the Trainer must not add another.
        return {
            "bf16": precision == "bf16",
            "fp16": precision == "fp16",
            "gradient_checkpointing": False,
            "optim": "adamw_8bit",
        }
