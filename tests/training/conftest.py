"""Fixtures for the fine-tuning tests: the embedded base as an HF model, a tiny Qwen3, small datasets.

Tests that need the training stack (torch, transformers, trl, peft) ask for ``train_stack`` and are
skipped where the `train` extra is not installed. The embedded GGUF is converted once per session
(~30 s, cached in the session's ENTROPI_CACHE_DIR).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from train_support import write_tier_data

from entropi.inference.model_store import embedded_model_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def train_stack() -> None:
    for module in ("torch", "transformers", "trl", "peft", "datasets", "accelerate", "matplotlib"):
        pytest.importorskip(module)


@pytest.fixture(scope="session")
def embedded_hf_dir(train_stack, tmp_path_factory) -> Path:
    from entropi.training.base_model import hf_location, resolve_base

    spec = resolve_base("embedded", project_root=tmp_path_factory.mktemp("root"))
    return Path(hf_location(spec))


@pytest.fixture(scope="session")
def embedded_tokenizer(embedded_hf_dir) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(embedded_hf_dir)


@pytest.fixture(scope="session")
def code_data(tmp_path_factory) -> Path:
    """``<dir>/code/{sft,dpo}_{train,eval}.jsonl`` built from the task suite's gold calls."""
    return write_tier_data(tmp_path_factory.mktemp("data"), "code")


@dataclass(frozen=True)
class TinyQwen3:
    """A random-weight 2-layer Qwen3 with the embedded model's tokenizer, as an HF dir and an F32 GGUF."""

    hf_dir: Path
    gguf: Path
    model: Any


@pytest.fixture(scope="session")
def tiny_qwen3(embedded_hf_dir, tmp_path_factory) -> TinyQwen3:
    import torch
    from gguf_support import write_qwen3_gguf
    from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(embedded_hf_dir)  # its own copy: its template changes below
    torch.manual_seed(0)
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        max_position_embeddings=2048,
        rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0},
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        initializer_range=0.1,  # wider logits than the 0.02 default: fewer near-ties in the top-1 checks
    )
    model = Qwen3ForCausalLM(config).eval()
    folder = tmp_path_factory.mktemp("tiny-qwen3")
    template = (FIXTURES / "chat_templates" / "qwen3.jinja").read_text(encoding="utf-8")
    model.save_pretrained(folder)
    tokenizer.chat_template = template
    tokenizer.save_pretrained(folder)
    gguf = write_qwen3_gguf(
        folder.parent / "tiny-qwen3.gguf", model, tokenizer_gguf=embedded_model_path(), chat_template=template
    )
    return TinyQwen3(folder, gguf, model)
