"""The TRL + PEFT backend: plain transformers models, on CPU or any GPU; what CI runs.

Runs unchanged under ``accelerate launch`` (the Trainer reads the distributed environment itself).
Non-goals: quantized (QLoRA) training, fused kernels (the unsloth backend's job).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from entropi.training.config import FineTuneConfig

# CPU-sized. LoRA dropout is off: its random masks took 21% of a CPU step (docs/training.md).
DEFAULTS: dict[str, Any] = {
    "dtype": "auto",
    "gradient_checkpointing": False,
    "lora": {"rank": 16, "alpha": 32.0, "dropout": 0.0},
    "sft": {"batch_size": 4, "grad_accum": 1, "max_length": 2048, "learning_rate": 2e-4},
    "dpo": {"batch_size": 2, "grad_accum": 2, "max_length": 2048, "learning_rate": 5e-6},
}


class TrlBackend:
    """transformers ``AutoModelForCausalLM`` + a PEFT ``LoraConfig``."""

    name = "trl"

    def __init__(self) -> None:
        import torch

        from entropi.training.backends import torch_logprob

        self._torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.torch_logprob = torch_logprob.install()  # True where torch has no Triton (CPU wheels)

    def dtype(self, config: FineTuneConfig) -> str:
        """The effective dtype: ``auto`` is bf16 where the device computes it natively (a recent GPU, a CPU
        with AVX512-BF16/AMX), else fp32. LoRA weights stay fp32 either way (PEFT keeps adapters in fp32)."""
        if config.dtype != "auto":
            return config.dtype
        torch = self._torch
        if self.device == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
        return "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"

    def load(self, location: str, config: FineTuneConfig, adapter: Path | None = None) -> tuple[Any, Any]:
        from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

        if config.load_in_4bit:
            raise ValueError(
                "load_in_4bit needs the unsloth backend (QLoRA); the trl backend trains 16/32-bit"
            )
        set_seed(config.seed)
        torch_dtype = {"fp32": self._torch.float32, "bf16": self._torch.bfloat16, "fp16": self._torch.float16}
        model = AutoModelForCausalLM.from_pretrained(location, dtype=torch_dtype[self.dtype(config)])
        tokenizer = AutoTokenizer.from_pretrained(location)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model.config.use_cache = False
        if adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter), is_trainable=True)
        return model, tokenizer

    def add_lora(self, model: Any, config: FineTuneConfig) -> Any:
        from peft import LoraConfig, get_peft_model
        from transformers import set_seed

        set_seed(config.seed)
        lora = LoraConfig(
            r=config.lora.rank,
            lora_alpha=config.lora.alpha,
            lora_dropout=config.lora.dropout,
            target_modules=list(config.lora.target_modules),
            bias="none",
            task_type="CAUSAL_LM",
        )
        return get_peft_model(model, lora)

    def trainer_kwargs(self, config: FineTuneConfig) -> dict[str, Any]:
        dtype = self.dtype(config)
        return {
            "bf16": dtype == "bf16",
            "fp16": dtype == "fp16",
            "use_cpu": self.device == "cpu",
            "gradient_checkpointing": config.gradient_checkpointing,
        }
