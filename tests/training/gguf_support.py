"""Base GGUFs for the export proofs, and every-position logits from llama.cpp.

llama.cpp multiplies Q4_1 weights with Q8-quantized activations, so its logits differ from transformers'
(which dequantizes to fp32) by more than a wrong export could be told apart from. ``dequantize_to_f32``
rewrites the embedded model's own dequantized weights as F32 — the tensors transformers loads, in the
layout llama.cpp's converter wrote — so both sides compute with identical weights. ``write_qwen3_gguf``
writes a tiny HF Qwen3 as a qwen3 GGUF with the embedded model's tokenizer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gguf
import llama_cpp as L
import numpy as np

from entropi.inference.gguf_info import _ArrayBackedReader  # GGUFReader with a 3x faster header parse
from entropi.inference.llama_model import LlamaContext


def _copy_fields(
    reader: gguf.GGUFReader, writer: gguf.GGUFWriter, keep: Any, overrides: Mapping[str, Any]
) -> None:
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture" or not keep(field.name):
            continue
        main = field.types[0]
        sub = field.types[-1] if main == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, overrides.get(field.name, field.contents()), main, sub_type=sub)


def _finish(writer: gguf.GGUFWriter) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def dequantize_to_f32(src: Path, dest: Path) -> Path:
    """``src`` with every tensor dequantized to F32 and every metadata field copied."""
    reader = _ArrayBackedReader(src)
    arch = str(reader.fields["general.architecture"].contents())
    writer = gguf.GGUFWriter(str(dest), arch)
    _copy_fields(reader, writer, lambda _: True, {"general.file_type": int(gguf.LlamaFileType.ALL_F32)})
    for tensor in reader.tensors:
        writer.add_tensor(
            tensor.name, gguf.quants.dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        )
    _finish(writer)
    return dest


def write_qwen3_gguf(dest: Path, model: Any, *, tokenizer_gguf: Path, chat_template: str) -> Path:
    """A llama.cpp-loadable F32 qwen3 GGUF of the HF Qwen3 ``model`` (tokenizer: ``tokenizer_gguf``'s)."""
    config = model.config
    writer = gguf.GGUFWriter(str(dest), "qwen3")
    writer.add_name("tiny-qwen3")
    writer.add_file_type(int(gguf.LlamaFileType.ALL_F32))
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_key_length(config.head_dim)
    writer.add_value_length(config.head_dim)
    writer.add_rope_freq_base(float(config.rope_parameters["rope_theta"]))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    reader = _ArrayBackedReader(tokenizer_gguf)
    _copy_fields(
        reader, writer, lambda name: name.startswith("tokenizer."), {"tokenizer.chat_template": chat_template}
    )
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN3, config.num_hidden_layers)
    for hf_name, tensor in model.state_dict().items():
        if hf_name == "lm_head.weight" and config.tie_word_embeddings:
            continue  # llama.cpp reuses token_embd
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise ValueError(f"no qwen3 GGUF name for {hf_name}")
        writer.add_tensor(name, tensor.detach().float().numpy())
    _finish(writer)
    return dest


def all_logits(ctx: LlamaContext, tokens: Sequence[int]) -> np.ndarray:
    """Logits at every position of ``tokens`` (one llama_decode, KV cleared first): shape (n, n_vocab)."""
    n = len(tokens)
    ctx.clear()
    batch = L.llama_batch_init(n, 0, 1)
    try:
        batch.n_tokens = n
        for i, token in enumerate(tokens):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, i, 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = 1
        if L.llama_decode(ctx.handle, batch) != 0:
            raise RuntimeError("llama_decode failed")
        n_vocab = ctx.model.n_vocab
        return np.stack(
            [
                np.ctypeslib.as_array(L.llama_get_logits_ith(ctx.handle, i), shape=(n_vocab,)).copy()
                for i in range(n)
            ]
        )
    finally:
        L.llama_batch_free(batch)
