"""Fine-tuning settings: one pydantic model from a YAML file, then command-line flags, then backend defaults.

Every field is documented (``Field(description=...)``) and unknown keys are refused, as in entropi's main
config. Fields left unset by the file and the flags take the chosen backend's defaults
(``backends.*.DEFAULTS``): a CPU-sized LoRA for ``trl``, a 24 GB RTX 4090-sized QLoRA for ``unsloth``.
Non-goals: reading datasets or models, choosing the backend (``backends/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from entropi.config.schema import TierName

Stage = Literal["sft", "dpo"]
STAGES: tuple[str, ...] = ("sft", "dpo")


class TrainConfigError(ValueError):
    """A fine-tuning config that cannot be used; the message names the source and the key."""


class LoraSettings(BaseModel):
    """The adapter's shape."""

    model_config = ConfigDict(extra="forbid")

    rank: int = Field(16, ge=1, le=1024, description="LoRA rank r.")
    alpha: float = Field(32.0, gt=0, description="LoRA alpha; the update is scaled by alpha / rank.")
    dropout: float = Field(
        0.05, ge=0, lt=1, description="Dropout on the LoRA input (unsloth is fastest at 0)."
    )
    target_modules: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        min_length=1,
        description="Linear layers that get an adapter (HF module names); default: every projection.",
    )


class StageSettings(BaseModel):
    """Optimisation settings shared by the SFT and DPO stages."""

    model_config = ConfigDict(extra="forbid")

    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    epochs: float = Field(
        1.0, gt=0, description="Passes over the training set (ignored when max_steps is set)."
    )
    max_steps: int | None = Field(None, ge=1, description="Stop after this many optimizer steps.")
    batch_size: int = Field(4, ge=1, description="Rows per device per forward pass.")
    grad_accum: int = Field(1, ge=1, description="Forward passes accumulated per optimizer step.")
    max_length: int = Field(
        2048, ge=16, description="Longest tokenized row; longer rows are skipped, not cut."
    )
    warmup_ratio: float = Field(0.03, ge=0, lt=1, description="Share of the steps spent warming up.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    lr_scheduler: str = Field(
        "cosine", description="transformers scheduler name (cosine, linear, constant…)."
    )
    eval_steps: int = Field(50, ge=1, description="Evaluate (and checkpoint) every this many steps.")
    early_stopping_patience: int | None = Field(
        3, ge=1, description="Stop after this many evaluations without a better eval loss; null disables."
    )


class SFTSettings(StageSettings):
    """Supervised fine-tuning: loss on the assistant turns after the last user message only."""

    first_turn_only: bool = Field(
        False,
        description=(
            "Cut each row after the first assistant message that follows the last user message: the "
            "first call is what tool selection and coherence measure, at a fraction of the tokens."
        ),
    )
    share_prefix: bool = Field(
        True,
        description=(
            "Run each batch's common prompt prefix (system prompt and tools) once instead of once per row; "
            "same loss, several times faster on CPU. Off with gradient checkpointing or several processes."
        ),
    )


class DPOSettings(StageSettings):
    """Preference tuning from the SFT adapter, which is also the frozen reference."""

    learning_rate: float = Field(5e-6, gt=0, description="Peak learning rate (DPO wants a small one).")
    beta: float = Field(
        0.1, gt=0, description="DPO temperature: how far the policy may move from the reference."
    )
    loss_type: str = Field("sigmoid", description="TRL DPO loss (sigmoid, ipo, hinge, …).")
    init_adapter: Path | None = Field(
        None,
        description=(
            "PEFT dir to start DPO from when SFT is not run in the same call; "
            "default: the tier's current adapter (lora_adapters/<tier>/current/peft), if any."
        ),
    )


class FineTuneConfig(BaseModel):
    """Everything one `scripts/fine_tune.py` run needs."""

    model_config = ConfigDict(extra="forbid")

    # -- what and where
    tier: TierName = Field(description="The tier whose adapter is trained.")
    data: Path = Field(Path("training_data"), description="Extractor output: <data>/<tier>/*.jsonl.")
    base: str | None = Field(
        None,
        description=(
            "Base model: a GGUF file, an HF model dir, an HF Hub id, a pulled preset or 'embedded'; "
            "null: the project's model.path, else the embedded model."
        ),
    )
    base_gguf: Path | None = Field(
        None,
        description=(
            "The GGUF the adapter will run on when the base is an HF dir (its sha256 goes in the manifest); "
            "a GGUF base is its own."
        ),
    )
    out: Path = Field(Path("lora_adapters"), description="Adapters root: <out>/<tier>/<version>/.")
    stages: list[Stage] = Field(default_factory=lambda: ["sft", "dpo"], min_length=1, description="Stages.")
    backend: Literal["auto", "trl", "unsloth"] = Field("auto", description="Training backend.")

    # -- numerics
    seed: int = Field(42, description="Seed for LoRA init, shuffling and dropout.")
    dtype: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="Training dtype; auto: bf16 on a GPU or CPU that computes it natively, else fp32."
    )
    gradient_checkpointing: bool = Field(False, description="Trade compute for activation memory.")
    load_in_4bit: bool = Field(False, description="QLoRA: 4-bit base weights (unsloth backend only).")
    enable_thinking: bool | None = Field(
        None, description="Render prompts with thinking on; null: the tier's `thinking` setting."
    )

    # -- output
    export_dtype: Literal["f32", "f16"] = Field(
        "f32", description="GGUF adapter tensor type (f32 decodes faster than f16 on CPUs measured so far)."
    )
    logging_steps: int = Field(1, ge=1, description="Log the loss every this many steps.")
    keep_checkpoints: bool = Field(False, description="Keep trainer checkpoints after a successful run.")
    resume: bool = Field(False, description="Continue the tier's last unfinished run from its checkpoints.")
    baseline: bool = Field(
        True,
        description=(
            "scripts/fine_tune.py first evaluates the bare base on the tier's cases and says whether "
            "prompting may be enough (> 70% pass); the figures go in the manifest and report."
        ),
    )
    baseline_limit: int | None = Field(None, ge=1, description="Evaluate at most this many cases for it.")
    baseline_cache: bool = Field(
        True,
        description=(
            "Reuse the bare base's results from an earlier run with the same base GGUF, config and cases "
            "(<project>/.entropi/cache/baseline/); false measures them again."
        ),
    )
    promote: bool = Field(
        False,
        description="Make the new version lora_adapters/<tier>/current if it passes the evaluation gate.",
    )

    lora: LoraSettings = Field(default_factory=LoraSettings)
    sft: SFTSettings = Field(default_factory=SFTSettings)
    dpo: DPOSettings = Field(default_factory=DPOSettings)

    @field_validator("stages")
    @classmethod
    def _ordered_unique(cls, stages: list[str]) -> list[str]:
        if len(set(stages)) != len(stages):
            raise ValueError(f"stages repeat: {stages}")
        return sorted(stages, key=STAGES.index)


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``; nested mappings merge key by key."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _source_of(loc: tuple[Any, ...], layers: list[tuple[str, Mapping[str, Any]]]) -> str:
    """The last layer that sets the key at ``loc`` (or one of its parents)."""
    for source, layer in reversed(layers):
        node: Any = layer
        depth = 0
        for part in loc:
            if not isinstance(node, Mapping) or part not in node:
                break
            node, depth = node[part], depth + 1
        if depth:
            return source
    return "not set"


def _describe(exc: ValidationError, layers: list[tuple[str, Mapping[str, Any]]]) -> str:
    lines = ["invalid fine-tuning config:"]
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "(top level)"
        lines.append(f"  {where} ({_source_of(tuple(error['loc']), layers)}): {error['msg']}")
    return "\n".join(lines)


def read_config_file(path: Path) -> dict[str, Any]:
    """The YAML mapping in ``path``; a missing, unreadable or non-mapping file is an error."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TrainConfigError(f"{path}: config file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TrainConfigError(f"{path}: cannot read config file ({exc})") from exc
    except yaml.YAMLError as exc:
        raise TrainConfigError(f"{path}: invalid YAML: {exc}".replace("\n", " ")) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TrainConfigError(f"{path}: a fine-tuning config must be a mapping, got {type(data).__name__}")
    return data


def load_finetune_config(
    file: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> FineTuneConfig:
    """The YAML ``file`` with the command-line ``overrides`` on top (backend defaults come later)."""
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if file is not None:
        layers.append((str(file), read_config_file(file)))
    layers.append(("command line", dict(overrides or {})))
    merged: dict[str, Any] = {}
    for _, layer in layers:
        merged = deep_merge(merged, layer)
    try:
        return FineTuneConfig.model_validate(merged)
    except ValidationError as exc:
        raise TrainConfigError(_describe(exc, layers)) from exc


def with_backend_defaults(config: FineTuneConfig, defaults: Mapping[str, Any]) -> FineTuneConfig:
    """``config`` with every field the user did not set taken from ``defaults``."""
    given = config.model_dump(exclude_unset=True)
    return FineTuneConfig.model_validate(deep_merge(dict(defaults), given))
