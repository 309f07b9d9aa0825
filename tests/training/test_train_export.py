"""PEFT → GGUF LoRA export: names, layout, llama's Q/K permutation (vs transformers' inverse), refusals."""

from __future__ import annotations

import math
from pathlib import Path

import gguf
import numpy as np
import pytest

from entropi.inference.gguf_info import read_gguf_info
from entropi.training.export import ExportError, export_adapter, llama_permute, read_peft_dir

SHAPE = {"n_layers": 2, "n_head": 4, "n_head_kv": 2}


def _peft_dir(
    tmp_path: Path, arch: str = "llama", save_embedding_layers: bool | str = "auto", **lora
) -> Path:
    """A saved PEFT adapter (random, non-zero factors) on a tiny random model of ``arch``."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(0)
    kinds = {"llama": (LlamaConfig, LlamaForCausalLM), "qwen3": (Qwen3Config, Qwen3ForCausalLM)}
    config_cls, model_cls = kinds[arch]
    config = config_cls(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=48,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=8,
    )
    settings = {"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "k_proj", "v_proj", "down_proj"]} | lora
    model = get_peft_model(model_cls(config), LoraConfig(init_lora_weights=False, **settings))
    out = tmp_path / f"peft-{arch}"
    model.save_pretrained(out, save_embedding_layers=save_embedding_layers)
    return out


def _gguf_tensors(path: Path) -> dict[str, np.ndarray]:
    return {t.name: np.asarray(t.data) for t in gguf.GGUFReader(path).tensors}


def test_permutation_is_what_transformers_undoes_when_it_reads_a_llama_gguf(train_stack):
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    undo = LlamaTensorProcessor()._reverse_permute_weights
    rng = np.random.default_rng(0)
    for n_head, n_kv, rows in ((9, 9, 576), (9, 3, 192), (4, 2, 32)):
        b = rng.normal(size=(rows, 5)).astype(np.float32)
        assert not np.array_equal(llama_permute(b, n_head, n_kv), b)
        np.testing.assert_array_equal(undo(llama_permute(b, n_head, n_kv), n_head, n_kv), b)
    with pytest.raises(ExportError, match="cannot be split into 4 heads"):
        llama_permute(np.zeros((30, 2)), 4)


@pytest.mark.parametrize("arch,permuted", [("llama", True), ("qwen3", False)])
def test_layout_names_and_alpha(train_stack, tmp_path: Path, arch: str, permuted: bool):
    peft_dir = _peft_dir(tmp_path, arch)
    _, tensors = read_peft_dir(peft_dir)
    summary = export_adapter(peft_dir, tmp_path / "a.gguf", arch=arch, dtype="f32", **SHAPE)
    assert (summary.rank, summary.alpha, summary.n_tensors, summary.qk_permuted) == (4, 8.0, 8, permuted)
    info = read_gguf_info(summary.path)
    assert info.arch == arch and info.metadata["adapter.type"] == "lora"
    assert info.metadata["adapter.lora.alpha"] == pytest.approx(8.0)
    targets = ("attn_q", "attn_k", "attn_v", "ffn_down")
    assert set(info.tensors) == {
        f"blk.{i}.{t}.weight.lora_{ab}" for i in (0, 1) for t in targets for ab in "ab"
    }
    written = _gguf_tensors(summary.path)
    key = "base_model.model.model.layers.1.self_attn.{}.lora_{}.weight"
    np.testing.assert_array_equal(written["blk.1.attn_q.weight.lora_a"], tensors[key.format("q_proj", "A")])
    np.testing.assert_array_equal(written["blk.1.attn_v.weight.lora_b"], tensors[key.format("v_proj", "B")])
    q_b, k_b = tensors[key.format("q_proj", "B")], tensors[key.format("k_proj", "B")]
    expect_q = llama_permute(q_b, 4, 4) if permuted else q_b
    expect_k = llama_permute(k_b, 4, 2) if permuted else k_b
    np.testing.assert_array_equal(written["blk.1.attn_q.weight.lora_b"], expect_q)
    np.testing.assert_array_equal(written["blk.1.attn_k.weight.lora_b"], expect_k)


def test_rslora_scale_is_folded_into_alpha(train_stack, tmp_path: Path):
    peft_dir = _peft_dir(tmp_path, use_rslora=True)
    summary = export_adapter(peft_dir, tmp_path / "a.gguf", arch="llama", **SHAPE)
    assert summary.alpha == pytest.approx(8.0 * math.sqrt(4)), (
        "llama.cpp divides by r: alpha·√r / r = alpha/√r"
    )


@pytest.mark.parametrize(
    "lora,message",
    [
        ({"use_dora": True}, "DoRA cannot be written"),
        ({"rank_pattern": {"q_proj": 2}}, r"per-module ranks \(rank_pattern\)"),
        ({"alpha_pattern": {"q_proj": 2}}, r"per-module alphas \(alpha_pattern\)"),
        ({"bias": "lora_only"}, r"trained biases \(bias='lora_only'\)"),
        ({"modules_to_save": ["lm_head"]}, r"fully trained modules \(modules_to_save\)"),
        ({"target_modules": ["embed_tokens"]}, "embed_tokens.base_layer.weight' is a full weight saved"),
        ({"target_modules": ["q_proj", "lm_head"]}, "lm_head.base_layer.weight' is a full weight saved"),
    ],
    ids=["dora", "rank-pattern", "alpha-pattern", "bias", "modules-to-save", "embedding", "saved-lm-head"],
)
@pytest.mark.filterwarnings("ignore:Setting `save_embedding_layers`:UserWarning")
def test_adapters_llama_cpp_cannot_apply_are_refused(train_stack, tmp_path: Path, lora: dict, message: str):
    peft_dir = _peft_dir(tmp_path, **lora)
    with pytest.raises(ExportError, match=message):
        export_adapter(peft_dir, tmp_path / "a.gguf", arch="llama", **SHAPE)
    assert not (tmp_path / "a.gguf").exists()


def test_checked_against_the_base_tensors(train_stack, tmp_path: Path):
    peft_dir = _peft_dir(tmp_path, save_embedding_layers=False, target_modules=["q_proj", "lm_head"])
    base = {f"blk.{i}.attn_q.weight": (32, 32) for i in (0, 1)}
    with pytest.raises(ExportError, match=r"no tensor output\.weight \(the base ties it to token_embd"):
        export_adapter(peft_dir, tmp_path / "a.gguf", arch="llama", base_tensors=base, **SHAPE)
    peft_dir = _peft_dir(tmp_path, target_modules=["q_proj"])
    wrong = {f"blk.{i}.attn_q.weight": (32, 64) for i in (0, 1)}
    with pytest.raises(
        ExportError, match=r"blk\.0\.attn_q\.weight: the adapter maps 32 → 32, the base tensor 32 → 64"
    ):
        export_adapter(peft_dir, tmp_path / "a.gguf", arch="llama", base_tensors=wrong, **SHAPE)
    assert (
        export_adapter(peft_dir, tmp_path / "a.gguf", arch="llama", base_tensors=base, **SHAPE).n_tensors == 2
    )


def test_unusable_inputs_are_refused(train_stack, tmp_path: Path):
    with pytest.raises(ExportError, match="not a PEFT adapter dir"):
        export_adapter(tmp_path, tmp_path / "a.gguf", arch="llama", **SHAPE)
    peft_dir = _peft_dir(tmp_path)
    with pytest.raises(ExportError, match="no GGUF LoRA export for architecture 'gpt2'"):
        export_adapter(peft_dir, tmp_path / "a.gguf", arch="gpt2", **SHAPE)
    (peft_dir / "adapter_model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ExportError, match=r"adapter_model\.safetensors: unreadable"):
        export_adapter(peft_dir, tmp_path / "a.gguf", arch="llama", **SHAPE)
    (peft_dir / "adapter_config.json").write_text("{")
    with pytest.raises(ExportError, match=r"adapter_config\.json: unreadable"):
        export_adapter(peft_dir, tmp_path / "a.gguf", arch="llama", **SHAPE)
