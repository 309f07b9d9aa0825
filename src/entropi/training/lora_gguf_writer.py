"""Write a GGUF LoRA adapter that llama.cpp's ``llama_adapter_lora_init`` loads.

Layout (as llama.cpp's own ``convert_lora_to_gguf.py`` produces): ``general.type=adapter``,
``adapter.type=lora``, ``adapter.lora.alpha``; for every adapted base tensor ``<name>`` two tensors
``<name>.lora_a`` (numpy shape ``(r, n_in)``) and ``<name>.lora_b`` (numpy shape ``(n_out, r)``), where the
base weight has numpy shape ``(n_out, n_in)``. Non-goals: PEFT name mapping and per-architecture Q/K
permutation (the exporter's job); quantized adapter tensors (f16/f32 only).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np


@dataclass(frozen=True)
class LoraPair:
    """The two low-rank factors of one adapted weight (numpy shapes ``(r, n_in)`` and ``(n_out, r)``)."""

    a: np.ndarray
    b: np.ndarray


def write_lora_gguf(
    path: Path,
    *,
    arch: str,
    alpha: float,
    tensors: Mapping[str, LoraPair],
    dtype: str = "f16",
    name: str = "entropi-lora",
    extra_metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write ``tensors`` (base tensor name → factors) as a GGUF LoRA at ``path``, atomically."""
    if dtype not in ("f16", "f32"):
        raise ValueError(f"dtype must be f16 or f32, not {dtype!r}")
    if not tensors:
        raise ValueError("an adapter needs at least one tensor pair")
    np_dtype = np.float16 if dtype == "f16" else np.float32
    pairs = {}
    for base_name, pair in tensors.items():
        a, b = np.asarray(pair.a), np.asarray(pair.b)
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
            raise ValueError(f"{base_name}: lora_a {a.shape} and lora_b {b.shape} do not share a rank")
        if 0 in a.shape or 0 in b.shape:
            raise ValueError(f"{base_name}: rank and dimensions must be positive, got {a.shape} / {b.shape}")
        pairs[base_name] = (np.ascontiguousarray(a, dtype=np_dtype), np.ascontiguousarray(b, dtype=np_dtype))
    for key, value in (extra_metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError(f"extra metadata must map strings to strings, got {key!r}: {value!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        writer = gguf.GGUFWriter(str(tmp), arch)
        try:
            writer.add_type(gguf.GGUFType.ADAPTER)
            writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
            writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
            writer.add_name(name)
            for key, value in (extra_metadata or {}).items():
                writer.add_string(key, value)
            for base_name, (a, b) in pairs.items():
                writer.add_tensor(f"{base_name}.lora_a", a)
                writer.add_tensor(f"{base_name}.lora_b", b)
            writer.write_header_to_file()
            writer.write_kv_data_to_file()
            writer.write_tensors_to_file()
        finally:
            writer.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def random_lora_for(
    base_tensors: Mapping[str, tuple[int, ...]],
    *,
    rank: int = 8,
    targets: Iterable[str] = ("attn_q", "attn_k", "attn_v", "attn_output"),
    std: float = 0.05,
    seed: int = 0,
) -> dict[str, LoraPair]:
    """Random factors for every base tensor ``blk.N.<target>.weight`` (ggml ``ne`` shapes ``(n_in, n_out)``).

    Used to build real adapters for tests and benchmarks; a trained adapter comes from the exporter.
    """
    rng = np.random.default_rng(seed if seed is not None else random.randrange(2**31))
    wanted = tuple(targets)
    out: dict[str, LoraPair] = {}
    for name, shape in sorted(base_tensors.items()):
        parts = name.split(".")
        if len(parts) == 4 and parts[0] == "blk" and parts[2] in wanted and parts[3] == "weight":
            n_in, n_out = int(shape[0]), int(shape[1])
            a = rng.normal(0.0, std, size=(rank, n_in)).astype(np.float32)
            b = rng.normal(0.0, std, size=(n_out, rank)).astype(np.float32)
            out[name] = LoraPair(a, b)
    if not out:
        raise ValueError(f"no base tensor matched the targets {wanted}")
    return out
