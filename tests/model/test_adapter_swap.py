"""Real llama.cpp + embedded model + real GGUF LoRAs: swapping, clearing, KV correctness, broken files."""

from __future__ import annotations

import numpy as np
import pytest

from entropi.inference.adapters import AdapterSet
from entropi.inference.filehash import file_sha256
from entropi.inference.llama_model import ContextParams, LlamaContext, LlamaModel
from entropi.inference.runtime import Runtime
from entropi.training.lora_gguf_writer import random_lora_for, write_lora_gguf

PROMPT = "<|im_start|>user\nWrite one line about rivers.<|im_end|>\n<|im_start|>assistant\n"
MESSAGES = [{"role": "user", "content": "Name three rivers in Europe."}]
OTHER = [{"role": "user", "content": "What is a linked list?"}]


@pytest.fixture(scope="module")
def model(base_path) -> LlamaModel:
    m = LlamaModel(base_path)
    yield m
    m.close()


def _logits(ctx: LlamaContext, tokens: list[int]) -> np.ndarray:
    ctx.clear()
    ctx.decode(tokens, 0)
    return np.array(ctx.logits(), dtype=np.float32)


def test_swap_changes_logits_and_clearing_restores_the_base_exactly(model, base_path, adapter_a, adapter_b):
    adapters = AdapterSet(model, base_arch="llama", base_sha256=lambda: file_sha256(base_path))
    assert adapters.load("code", adapter_a).loaded
    assert adapters.load("thinking", adapter_b).loaded
    ctx = LlamaContext(model, ContextParams(n_ctx=512))
    tokens = model.tokenize(PROMPT)
    base = _logits(ctx, tokens)
    assert ctx.set_adapters(*adapters.swap_set("code"))
    with_a = _logits(ctx, tokens)
    ctx.set_adapters(*adapters.swap_set("thinking"))
    with_b = _logits(ctx, tokens)
    ctx.set_adapters(*adapters.swap_set("simple"))  # no adapter configured: the bare base
    cleared = _logits(ctx, tokens)
    assert np.abs(with_a - base).max() > 0.1
    assert np.abs(with_b - with_a).max() > 0.1
    assert np.array_equal(cleared, base)
    assert not ctx.set_adapters(*adapters.swap_set("simple"))  # same set again: nothing to do
    ctx.close()


def test_kv_from_another_adapter_would_be_wrong(model, base_path, adapter_a):
    """The reason for the KV invariant: a prefix computed under the base differs under an adapter."""
    adapters = AdapterSet(model, base_arch="llama", base_sha256=lambda: file_sha256(base_path))
    assert adapters.load("code", adapter_a).loaded
    ctx = LlamaContext(model, ContextParams(n_ctx=512))
    tokens = model.tokenize(PROMPT)
    ctx.decode(tokens[:-1], 0)  # prefix under the base ...
    ctx.set_adapters(*adapters.swap_set("code"))
    ctx.decode(tokens[-1:], len(tokens) - 1)  # ... last token under the adapter: stale mix
    stale = np.array(ctx.logits(), dtype=np.float32)
    fresh = _logits(ctx, tokens)
    assert np.abs(stale - fresh).max() > 0.05
    ctx.close()


def test_warm_run_after_another_tier_equals_a_cold_run_token_for_token(
    project, adapter_a, adapter_b, tmp_path
):
    config = project(
        {
            "code": {"lora_path": str(adapter_a), "sampling": {"temperature": 0, "max_tokens": 24}},
            "thinking": {"lora_path": str(adapter_b)},
        }
    )
    with Runtime(config, project_root=tmp_path, with_router=False) as cold:
        expected = cold.turn("code", MESSAGES)
    assert expected.timings["restored_tokens"] == 0 and len(expected.tokens) > 3
    with Runtime(config, project_root=tmp_path, with_router=False) as warm:
        warm.turn("code", OTHER)  # takes the code tier's prefix snapshot
        other_tier = warm.turn("thinking", MESSAGES)
        again = warm.turn("code", MESSAGES)
        same_tier = warm.turn("code", MESSAGES)
    assert again.timings["restored_tokens"] > 0, "returning to a tier restores its prefix snapshot"
    assert again.tokens == expected.tokens
    assert same_tier.timings["cached_tokens"] > 0, "same tier, same adapter: the live prefix is reused"
    assert same_tier.tokens == expected.tokens
    assert other_tier.tokens != expected.tokens


@pytest.mark.parametrize(
    "case,reason",
    [
        ("missing", "adapter not found"),
        ("empty_dir", "adapter not found"),
        ("truncated", "truncated"),
        ("not_gguf", "not a GGUF"),
        ("wrong_arch", "architecture 'qwen3'"),
        ("wrong_base", "trained for base sha256"),
        ("not_adapter", "not a LoRA adapter"),
    ],
)
def test_broken_adapter_gives_a_clear_error_and_the_tier_runs_on_the_base(
    case, reason, broken_adapters, project, tmp_path
):
    bad = broken_adapters[case]
    config = project({"code": {"lora_path": str(bad)}})
    with Runtime(config, project_root=tmp_path, with_router=False) as runtime:
        status = runtime.adapters.statuses["code"]
        assert not status.loaded
        assert reason in status.error and str(bad.name) in status.error
        assert any(line.startswith("code: ") for line in runtime.warnings)
        result = runtime.turn("code", MESSAGES)
    assert result.raw_output and not result.adapter.loaded


def test_shape_mismatch_rejected_by_llama_cpp_is_reported_with_its_reason(model, tmp_path):
    bad = write_lora_gguf(
        tmp_path / "adapter.gguf",
        arch="llama",
        alpha=8.0,
        tensors=random_lora_for({"blk.0.attn_q.weight": (100, 576)}, rank=4),
    )
    adapters = AdapterSet(model, base_arch="llama", base_sha256=lambda: "")
    status = adapters.load("code", bad)
    assert not status.loaded
    assert "llama.cpp refused the adapter" in status.error and "adapter.gguf" in status.error
    assert "shape" in status.error
    assert adapters.swap_set("code") == ((), [])
