"""Fine-tuning config: YAML + flags layering, backend defaults under user values, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from entropi.training.backends import backend_defaults
from entropi.training.config import TrainConfigError, load_finetune_config, with_backend_defaults


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "train.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_flags_win_over_the_file_and_nested_keys_merge(tmp_path: Path):
    text = "tier: thinking\nseed: 7\nlora: {rank: 8, alpha: 8}\nsft: {max_steps: 5, batch_size: 3}\n"
    file = _yaml(tmp_path, text)
    config = load_finetune_config(file, {"tier": "code", "sft": {"max_steps": 2}})
    assert config.tier == "code" and config.seed == 7
    assert config.lora.rank == 8 and config.sft.max_steps == 2 and config.sft.batch_size == 3


def test_stages_are_put_in_training_order():
    assert load_finetune_config(None, {"tier": "code", "stages": ["dpo", "sft"]}).stages == ["sft", "dpo"]


def test_backend_defaults_fill_only_what_the_user_left_unset():
    config = load_finetune_config(None, {"tier": "code", "lora": {"rank": 8}, "sft": {"max_steps": 3}})
    resolved = with_backend_defaults(config, backend_defaults("unsloth"))
    assert resolved.lora.rank == 8, "the user's rank stays"
    assert resolved.lora.alpha == 32.0 and resolved.lora.dropout == 0.0, "unsloth's defaults fill the rest"
    assert resolved.load_in_4bit and resolved.gradient_checkpointing and resolved.dtype == "bf16"
    assert resolved.sft.max_steps == 3 and resolved.sft.grad_accum == 8 and resolved.sft.max_length == 4096
    cpu = with_backend_defaults(config, backend_defaults("trl"))
    assert not cpu.load_in_4bit and cpu.sft.batch_size == 4 and cpu.dtype == "auto"


@pytest.mark.parametrize(
    "text,overrides,message",
    [
        ("tier: code\nlr: 0.1\n", {}, r"lr \(.*train.yaml\): Extra inputs are not permitted"),
        ("tier: code\nlora: {rank: 0}\n", {}, r"lora.rank \(.*train.yaml\)"),
        ("tier: code\n", {"stages": ["sft", "sft"]}, r"stages \(command line\): .*repeat"),
        ("tier: code\n", {"stages": ["ppo"]}, r"stages.0 \(command line\)"),
        ("tier: expert\n", {}, r"tier \(.*train.yaml\)"),
        ("seed: 1\n", {}, r"tier \(not set\): Field required"),
        ("tier: code\nbackend: jax\n", {}, r"backend \(.*train.yaml\)"),
    ],
    ids=["unknown-key", "bad-rank", "repeated-stage", "unknown-stage", "unknown-tier", "no-tier", "backend"],
)
def test_invalid_values_name_the_key_and_its_source(tmp_path: Path, text: str, overrides: dict, message: str):
    with pytest.raises(TrainConfigError, match=message):
        load_finetune_config(_yaml(tmp_path, text), overrides)


@pytest.mark.parametrize(
    "content,message",
    [(None, "config file not found"), ("tier: [code\n", "invalid YAML"), ("- code\n", "must be a mapping")],
    ids=["missing", "bad-yaml", "not-a-mapping"],
)
def test_unusable_config_files_are_refused(tmp_path: Path, content: str | None, message: str):
    path = tmp_path / "train.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(TrainConfigError, match=message):
        load_finetune_config(path, {"tier": "code"})


def test_an_empty_file_is_an_empty_layer(tmp_path: Path):
    assert load_finetune_config(_yaml(tmp_path, ""), {"tier": "simple"}).tier == "simple"
