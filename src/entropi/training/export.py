"""PEFT LoRA directory → GGUF LoRA adapter that llama.cpp hot-swaps on the base GGUF.

Tensor names come from the base architecture's GGUF name map (``gguf.get_tensor_name_map``:
``model.layers.3.self_attn.q_proj`` → ``blk.3.attn_q.weight``). llama's GGUF stores Q and K rows
permuted for its rope layout (``convert_hf_to_gguf.py``, ``LlamaModel.permute``); transformers un-permutes
them when it reads a GGUF, so a LoRA trained in HF layout needs the same row permutation on ``lora_b``
(the rows of B·A are the rows of B). qwen2/qwen3 store HF layout: nothing to permute. The PEFT scale
alpha/r is carried by ``adapter.lora.alpha`` (llama.cpp applies alpha / rank itself); rsLoRA's
alpha/sqrt(r) is folded into that alpha. The file itself is written by ``lora_gguf_writer``.
Non-goals: DoRA, trained biases, embedding LoRAs, per-module rank/alpha patterns, merging into the base.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gguf
import numpy as np

from entropi.training import registry
from entropi.training.lora_gguf_writer import LoraPair, write_lora_gguf

if TYPE_CHECKING:
    from entropi.training.base_model import BaseSpec

QK_PERMUTE: dict[str, bool] = {"llama": True, "qwen2": False, "qwen3": False}
PEFT_CONFIG = "adapter_config.json"
PEFT_WEIGHTS = "adapter_model.safetensors"
_PREFIX = "base_model.model."


class ExportError(ValueError):
    """The PEFT adapter cannot be expressed as a GGUF LoRA for this base; the message says why."""


@dataclass(frozen=True)
class ExportSummary:
    """What was written."""

    path: Path
    arch: str
    rank: int
    alpha: float
    n_tensors: int
    qk_permuted: bool
    dtype: str


def llama_permute(rows: np.ndarray, n_head: int, n_head_kv: int | None = None) -> np.ndarray:
    """llama.cpp's Q/K row permutation (``convert_hf_to_gguf.LlamaModel.permute``) over axis 0."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    if rows.shape[0] % (2 * n_head):
        raise ExportError(f"{rows.shape[0]} rows cannot be split into {n_head} heads of even size")
    return (
        rows.reshape(n_head, 2, rows.shape[0] // n_head // 2, *rows.shape[1:])
        .swapaxes(1, 2)
        .reshape(rows.shape)
    )


def read_peft_dir(peft_dir: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(adapter_config, tensors as float32 numpy) of a saved PEFT adapter."""
    peft_dir = Path(peft_dir)
    config_file, weights_file = peft_dir / PEFT_CONFIG, peft_dir / PEFT_WEIGHTS
    if not config_file.is_file() or not weights_file.is_file():
        raise ExportError(f"{peft_dir}: not a PEFT adapter dir (needs {PEFT_CONFIG} and {PEFT_WEIGHTS})")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"{config_file}: unreadable ({exc})") from exc
    from safetensors.torch import load_file  # torch reads bf16, which numpy cannot

    try:
        tensors = {k: v.float().numpy() for k, v in load_file(str(weights_file)).items()}
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise ExportError(f"{weights_file}: unreadable ({exc})") from exc
    return config, tensors


def _check_config(config: Mapping[str, Any]) -> tuple[int, float]:
    """(rank, GGUF alpha) of a plain LoRA config; anything llama.cpp cannot apply is refused."""
    if config.get("peft_type") != "LORA":
        raise ExportError(f"only LoRA adapters export to GGUF, not {config.get('peft_type')!r}")
    refused = {
        "use_dora": "DoRA",
        "rank_pattern": "per-module ranks (rank_pattern)",
        "alpha_pattern": "per-module alphas (alpha_pattern)",
        "modules_to_save": "fully trained modules (modules_to_save)",
        "fan_in_fan_out": "fan_in_fan_out layers",
        "lora_bias": "LoRA biases",
    }
    for key, what in refused.items():
        if config.get(key):
            raise ExportError(f"{what} cannot be written as a GGUF LoRA")
    if config.get("bias", "none") != "none":
        raise ExportError(f"trained biases (bias={config['bias']!r}) cannot be written as a GGUF LoRA")
    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    return rank, alpha * math.sqrt(rank) if config.get("use_rslora") else alpha


def lora_pairs(
    tensors: Mapping[str, np.ndarray],
    *,
    arch: str,
    n_layers: int,
    n_head: int,
    n_head_kv: int,
    permute_qk: bool,
) -> dict[str, LoraPair]:
    """PEFT tensors → {base GGUF tensor name: (lora_a, lora_b)} in llama.cpp's layout."""
    archs = {value: key for key, value in gguf.MODEL_ARCH_NAMES.items()}
    if arch not in archs:
        raise ExportError(f"gguf has no tensor map for architecture {arch!r}")
    name_map = gguf.get_tensor_name_map(archs[arch], n_layers)
    modules: dict[str, dict[str, np.ndarray]] = {}
    for key, value in tensors.items():
        stem, _, part = key.removesuffix(".weight").rpartition(".")
        if part == "base_layer":
            raise ExportError(f"{key!r} is a full weight saved with the adapter (save_embedding_layers)")
        if part not in ("lora_A", "lora_B"):
            raise ExportError(f"tensor {key!r} is not a LoRA factor (embedding LoRA, DoRA or a bias?)")
        modules.setdefault(stem, {})[part] = value
    pairs: dict[str, LoraPair] = {}
    for module, parts in sorted(modules.items()):
        if set(parts) != {"lora_A", "lora_B"}:
            raise ExportError(f"{module}: has {sorted(parts)} but needs both lora_A and lora_B")
        hf_name = module.removeprefix(_PREFIX) + ".weight"
        name = name_map.get_name(hf_name, try_suffixes=(".weight",))
        if name is None:
            raise ExportError(f"{hf_name}: no {arch} GGUF tensor corresponds to it")
        a, b = parts["lora_A"], parts["lora_B"]
        if permute_qk and name.endswith((".attn_q.weight", ".attn_k.weight")):
            b = llama_permute(b, n_head, n_head if name.endswith(".attn_q.weight") else n_head_kv)
        pairs[name] = LoraPair(np.ascontiguousarray(a), np.ascontiguousarray(b))
    if not pairs:
        raise ExportError("the adapter holds no LoRA tensors")
    return pairs


def _check_against_base(pairs: Mapping[str, LoraPair], base_tensors: Mapping[str, tuple[int, ...]]) -> None:
    for name, pair in pairs.items():
        if name not in base_tensors:
            hint = (
                " (the base ties it to token_embd: drop lm_head from target_modules)"
                if name == "output.weight"
                else ""
            )
            raise ExportError(f"the base GGUF has no tensor {name}{hint}")
        n_in, n_out = base_tensors[name][:2]  # ggml ne order
        if (pair.a.shape[1], pair.b.shape[0]) != (n_in, n_out):
            raise ExportError(
                f"{name}: the adapter maps {pair.a.shape[1]} → {pair.b.shape[0]}, "
                f"the base tensor {n_in} → {n_out}"
            )


def export_adapter(
    peft_dir: Path,
    out: Path,
    *,
    arch: str,
    n_layers: int,
    n_head: int,
    n_head_kv: int,
    dtype: str = "f32",
    base_tensors: Mapping[str, tuple[int, ...]] | None = None,
    name: str = "entropi-lora",
    metadata: Mapping[str, str] | None = None,
) -> ExportSummary:
    """Write the PEFT adapter in ``peft_dir`` as a GGUF LoRA at ``out`` for a base of ``arch``."""
    if arch not in QK_PERMUTE:
        raise ExportError(
            f"no GGUF LoRA export for architecture {arch!r} (supported: {', '.join(QK_PERMUTE)})"
        )
    config, tensors = read_peft_dir(peft_dir)
    rank, alpha = _check_config(config)
    pairs = lora_pairs(
        tensors, arch=arch, n_layers=n_layers, n_head=n_head, n_head_kv=n_head_kv, permute_qk=QK_PERMUTE[arch]
    )
    ranks = {p.a.shape[0] for p in pairs.values()}
    if ranks != {rank}:
        raise ExportError(f"adapter_config says r={rank} but the tensors have ranks {sorted(ranks)}")
    if base_tensors is not None:
        _check_against_base(pairs, base_tensors)
    path = write_lora_gguf(
        Path(out), arch=arch, alpha=alpha, tensors=pairs, dtype=dtype, name=name, extra_metadata=metadata
    )
    return ExportSummary(path, arch, rank, alpha, len(pairs), QK_PERMUTE[arch], dtype)


def export_run(base: BaseSpec, hf_config: Any, work: Path, *, tier: str, version: str, dtype: str) -> Any:
    """Export the run's PEFT adapter (``work/peft``) as the GGUF LoRA ``work/adapter.gguf`` for ``base``."""
    return export_adapter(
        work / registry.PEFT_DIR,
        work / registry.ADAPTER_FILE,
        arch=base.arch,
        n_layers=hf_config.num_hidden_layers,
        n_head=hf_config.num_attention_heads,
        n_head_kv=getattr(hf_config, "num_key_value_heads", None) or hf_config.num_attention_heads,
        dtype=dtype,
        base_tensors=base.gguf_info.tensors if base.gguf_info else None,
        name=f"entropi-{tier}-{version}",
        metadata={"entropi.tier": tier, "entropi.version": version},
    )
