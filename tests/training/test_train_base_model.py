"""Resolving a base model (GGUF file, HF dir), identifying it, and the chat template training uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entropi.inference.filehash import file_sha256
from entropi.inference.model_store import embedded_model_path
from entropi.training.base_model import BaseModelError, resolve_base, training_formatter
from entropi.training.lora_gguf_writer import LoraPair, write_lora_gguf


def test_the_embedded_gguf_is_its_own_runtime_base(tmp_path: Path):
    spec = resolve_base(None, project_root=tmp_path)
    assert (spec.kind, spec.arch, spec.model_id) == ("gguf", "llama", "SmolLM2-135M-Instruct-Q4_1")
    assert spec.gguf == embedded_model_path() and spec.sha256() == file_sha256(embedded_model_path())
    assert spec.gguf_info is not None and "blk.0.attn_q.weight" in spec.gguf_info.tensors
    assert resolve_base("embedded", project_root=tmp_path) == spec
    assert resolve_base(None, project_root=tmp_path, project_model=embedded_model_path()).gguf == spec.gguf


def test_an_hf_dir_is_unpinned_unless_given_its_gguf(tiny_qwen3, tmp_path: Path):
    spec = resolve_base(str(tiny_qwen3.hf_dir), project_root=tmp_path)
    assert (spec.kind, spec.arch, spec.gguf, spec.sha256()) == ("hf", "qwen3", None, None)
    pinned = resolve_base(str(tiny_qwen3.hf_dir), base_gguf=tiny_qwen3.gguf, project_root=tmp_path)
    assert pinned.sha256() == file_sha256(tiny_qwen3.gguf) and pinned.gguf_info.arch == "qwen3"


def _hf_dir(tmp_path: Path, model_type: str | None) -> Path:
    folder = tmp_path / "hf"
    folder.mkdir()
    if model_type is not None:
        (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
    return folder


@pytest.mark.parametrize(
    "case,message",
    [
        ("missing-file", "no such model file"),
        ("dir-without-config", "directory without config.json"),
        ("unsupported-hf-type", "model_type 'gpt2' has no GGUF LoRA export"),
        ("adapter-as-base", "is a LoRA adapter, not a base model"),
        ("garbage-gguf", "base model .*not a GGUF"),
        ("base-gguf-with-a-gguf-base", "base_gguf is only for an HF base"),
        ("base-gguf-missing", "base_gguf .* not found"),
        ("base-gguf-other-arch", "is 'llama' but the HF base is 'qwen2'"),
    ],
)
def test_unusable_bases_are_refused(tmp_path: Path, case: str, message: str):
    spec, base_gguf = str(tmp_path / "nope.gguf"), None
    if case == "dir-without-config":
        spec = str(_hf_dir(tmp_path, None))
    elif case == "unsupported-hf-type":
        spec = str(_hf_dir(tmp_path, "gpt2"))
    elif case == "adapter-as-base":
        pair = LoraPair([[1.0, 2.0]], [[1.0], [2.0]])
        spec = str(
            write_lora_gguf(
                tmp_path / "a.gguf", arch="llama", alpha=1.0, tensors={"blk.0.attn_q.weight": pair}
            )
        )
    elif case == "garbage-gguf":
        (tmp_path / "junk.gguf").write_bytes(b"not a gguf at all" * 10)
        spec = str(tmp_path / "junk.gguf")
    elif case == "base-gguf-with-a-gguf-base":
        spec, base_gguf = "embedded", embedded_model_path()
    elif case == "base-gguf-missing":
        spec, base_gguf = str(_hf_dir(tmp_path, "qwen2")), tmp_path / "missing.gguf"
    elif case == "base-gguf-other-arch":
        spec, base_gguf = str(_hf_dir(tmp_path, "qwen2")), embedded_model_path()
    with pytest.raises(BaseModelError, match=message):
        resolve_base(spec, base_gguf=base_gguf, project_root=tmp_path)


def test_the_converted_tokenizer_has_llama_cpps_special_tokens(embedded_tokenizer):
    """transformers' GGUF conversion gets eos wrong for SmolLM2; the GGUF header's ids are taken instead."""
    assert (embedded_tokenizer.bos_token, embedded_tokenizer.eos_token) == ("<|im_start|>", "<|im_end|>")


def test_the_training_template_is_the_runtimes(embedded_tokenizer, tiny_qwen3, tmp_path: Path):
    embedded = resolve_base("embedded", project_root=tmp_path)
    messages = [{"role": "user", "content": "hi"}]
    smol = training_formatter(embedded, embedded_tokenizer).render(messages)
    assert smol.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    override = training_formatter(
        embedded, embedded_tokenizer, template_override="X{{ messages[0].content }}"
    )
    assert override.render(messages) == "Xhi"
    pinned = resolve_base(str(tiny_qwen3.hf_dir), base_gguf=tiny_qwen3.gguf, project_root=tmp_path)
    unpinned = resolve_base(str(tiny_qwen3.hf_dir), project_root=tmp_path)
    from transformers import AutoTokenizer

    tiny_tokenizer = AutoTokenizer.from_pretrained(tiny_qwen3.hf_dir)
    from_gguf = training_formatter(pinned, embedded_tokenizer).render(messages)
    assert from_gguf == training_formatter(unpinned, tiny_tokenizer).render(messages), "else the tokenizer's"
    assert from_gguf.startswith("<|im_start|>user\nhi"), "Qwen3's template: no default system turn"


def test_the_fast_gguf_parsing_used_for_conversion_is_undone_even_on_error():
    import gguf

    from entropi.training.base_model import _fast_gguf_parsing

    reader, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
    with pytest.raises(RuntimeError), _fast_gguf_parsing():
        assert gguf.GGUFReader is not reader
        assert gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, 2) is gguf.get_tensor_name_map(
            gguf.MODEL_ARCH.LLAMA, 2
        )
        raise RuntimeError
    assert (gguf.GGUFReader, gguf.get_tensor_name_map) == (reader, name_map)
