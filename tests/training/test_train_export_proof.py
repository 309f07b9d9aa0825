"""The export proof: llama.cpp with the exported GGUF LoRA computes the logits transformers + PEFT computes.

Both sides run the same weights (the embedded model's dequantized tensors as an F32 GGUF; a tiny random
Qwen3 written as F32), so what is left is float rounding. Each test also shows the comparison can fail: the
adapter moves the logits far more than the two sides differ, and the wrong Q/K layout is caught.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gguf_support import all_logits, dequantize_to_f32

from entropi.inference.adapters import AdapterSet
from entropi.inference.gguf_info import read_gguf_info
from entropi.inference.llama_model import ContextParams, LlamaContext, LlamaModel
from entropi.inference.model_store import embedded_model_path
from entropi.training.export import export_adapter, lora_pairs, read_peft_dir
from entropi.training.lora_gguf_writer import write_lora_gguf

PROBES = (
    "<|im_start|>user\nWrite a function that adds two numbers.<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>system\nYou are entropi.<|im_end|>\n<|im_start|>user\nList the files in src.<|im_end|>\n"
    '<|im_start|>assistant\n<tool_call>\n{"name": "filesystem.list_directory"',
    "The quick brown fox jumps over the lazy dog because",
    "def median(values):\n    ordered = sorted(values)\n",
)
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def _random_peft(model: Any, folder: Path, *, std: float) -> Any:
    """A PEFT LoRA on every projection with random (non-zero) A and B, saved to ``folder``."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(1)
    lora = LoraConfig(r=8, lora_alpha=16, target_modules=TARGETS, init_lora_weights=False)
    peft = get_peft_model(model, lora)
    with torch.no_grad():
        for name, param in peft.named_parameters():
            if "lora_" in name:
                param.normal_(0.0, std)
    peft.save_pretrained(folder)
    return peft


def _llama(
    gguf: Path, adapters: dict[str, Path | None], arch: str, prompts: list[list[int]]
) -> dict[str, Any]:
    """Logits per prompt under each named adapter (None: the bare base), one model and context for all."""
    model = LlamaModel(gguf)
    ctx = LlamaContext(model, ContextParams(n_ctx=256, n_batch=256))
    loaded = AdapterSet(model, base_arch=arch, base_sha256=lambda: "")
    try:
        out = {}
        for name, path in adapters.items():
            status = loaded.load(name, path)
            assert path is None or status.loaded, status.error
            ctx.set_adapters(*loaded.swap_set(name))
            out[name] = [all_logits(ctx, tokens) for tokens in prompts]
        return out
    finally:
        ctx.close()
        loaded.close()
        model.close()


def _hf(model: Any, prompts: list[list[int]]) -> list[np.ndarray]:
    import torch

    with torch.no_grad():
        return [model(torch.tensor([tokens])).logits[0].float().numpy() for tokens in prompts]


def compare(ours: list[np.ndarray], reference: list[np.ndarray]) -> dict[str, float]:
    """Top-1 agreement over all positions and the max / mean absolute logit difference."""
    top = np.concatenate([a.argmax(-1) == b.argmax(-1) for a, b in zip(ours, reference, strict=True)])
    diff = np.concatenate([np.abs(a - b).ravel() for a, b in zip(ours, reference, strict=True)])
    return {
        "top1": float(top.mean()),
        "positions": len(top),
        "max": float(diff.max()),
        "mean": float(diff.mean()),
    }


def _report(title: str, stats: dict[str, float]) -> None:
    top1, n, worst, mean = stats["top1"], stats["positions"], stats["max"], stats["mean"]
    print(f"{title}: top-1 {top1:.1%} of {n}, max |Δ| {worst:.4f}, mean |Δ| {mean:.5f}")


@pytest.fixture(scope="module")
def f32_embedded(train_stack, tmp_path_factory) -> Path:
    return dequantize_to_f32(embedded_model_path(), tmp_path_factory.mktemp("f32") / "smollm2-f32.gguf")


def _shape(config: Any) -> dict[str, int]:
    return {
        "n_layers": config.num_hidden_layers,
        "n_head": config.num_attention_heads,
        "n_head_kv": config.num_key_value_heads,
    }


def _export_both_ways(
    peft_dir: Path, out: Path, arch: str, shape: dict[str, int], base: Path
) -> tuple[Any, Path]:
    """(the real export, the same factors written with the other Q/K layout) for ``arch``."""
    exported = export_adapter(
        peft_dir, out / "a.gguf", arch=arch, base_tensors=read_gguf_info(base).tensors, **shape
    )
    _, tensors = read_peft_dir(peft_dir)
    pairs = lora_pairs(tensors, arch=arch, permute_qk=not exported.qk_permuted, **shape)
    wrong = write_lora_gguf(out / "wrong.gguf", arch=arch, alpha=16.0, dtype="f32", tensors=pairs)
    return exported, wrong


def _prompts(gguf: Path) -> list[list[int]]:
    vocab = LlamaModel(gguf)
    try:
        return [vocab.tokenize(p) for p in PROBES]
    finally:
        vocab.close()


def test_llama_export_matches_transformers_peft(embedded_hf_dir, f32_embedded, tmp_path: Path):
    import torch
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(embedded_hf_dir, dtype=torch.float32).eval()
    shape = _shape(base.config)
    peft = _random_peft(base, tmp_path / "peft", std=0.05)
    exported, unpermuted = _export_both_ways(tmp_path / "peft", tmp_path, "llama", shape, f32_embedded)
    assert exported.qk_permuted
    prompts = _prompts(embedded_model_path())

    hf_lora = _hf(peft, prompts)
    with peft.disable_adapter():
        hf_base = _hf(peft, prompts)
    effect = compare(hf_lora, hf_base)
    llama = _llama(f32_embedded, {"base": None, "lora": exported.path, "wrong": unpermuted}, "llama", prompts)
    base_pair = compare(llama["base"], hf_base)
    proof = compare(llama["lora"], hf_lora)
    wrong = compare(llama["wrong"], hf_lora)
    q4 = _llama(embedded_model_path(), {"lora": exported.path}, "llama", prompts)
    quantized = compare(q4["lora"], hf_lora)
    _report("adapter effect (HF+PEFT vs HF)", effect)
    _report("base F32 llama.cpp vs HF", base_pair)
    _report("F32 base + exported LoRA vs HF+PEFT", proof)
    _report("same, Q/K not permuted", wrong)
    _report("Q4_1 base + exported LoRA vs HF+PEFT", quantized)

    assert effect["top1"] < 0.8 and effect["mean"] > 0.5, "the adapter must move the logits to prove anything"
    assert proof["top1"] >= 0.95 and proof["max"] < 0.25 and proof["mean"] < 0.02
    assert wrong["mean"] > 10 * proof["mean"], "a wrong Q/K layout would be caught"
    assert quantized["top1"] >= 0.8, "the Q4_1 base runs the same adapter, up to quantization noise"


def test_qwen3_export_matches_transformers_peft(tiny_qwen3, tmp_path: Path):
    import copy

    shape = _shape(tiny_qwen3.model.config)
    peft = _random_peft(copy.deepcopy(tiny_qwen3.model), tmp_path / "peft", std=0.2)
    exported, permuted = _export_both_ways(tmp_path / "peft", tmp_path, "qwen3", shape, tiny_qwen3.gguf)
    assert not exported.qk_permuted
    prompts = _prompts(tiny_qwen3.gguf)

    hf_lora = _hf(peft, prompts)
    with peft.disable_adapter():
        hf_base = _hf(peft, prompts)
    effect = compare(hf_lora, hf_base)
    llama = _llama(
        tiny_qwen3.gguf, {"base": None, "lora": exported.path, "wrong": permuted}, "qwen3", prompts
    )
    base_pair = compare(llama["base"], hf_base)
    proof = compare(llama["lora"], hf_lora)
    wrong = compare(llama["wrong"], hf_lora)
    _report("qwen3 adapter effect", effect)
    _report("qwen3 base llama.cpp vs HF", base_pair)
    _report("qwen3 base + exported LoRA vs HF+PEFT", proof)
    _report("same, with llama's Q/K permutation", wrong)

    assert base_pair["top1"] >= 0.95, "the tiny GGUF must be the same model before any adapter is compared"
    assert effect["top1"] < 0.8
    assert proof["top1"] >= 0.95 and proof["mean"] < 0.02
    assert wrong["mean"] > 10 * proof["mean"], "permuting qwen3's Q/K would be caught"
