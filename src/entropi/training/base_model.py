"""The base model a run trains on: resolve it, identify it, and hand transformers something it can load.

A base is a GGUF file (the embedded model, a pulled preset, any GGUF a user runs), an HF model directory,
or an HF Hub id. A GGUF is dequantized by transformers once and cached as an HF directory keyed by the
file's sha256 (reading a GGUF through transformers costs ~30 s even for the 135M embedded model). The
adapter's identity is the GGUF it will run on: the base itself, or ``base_gguf`` for an HF base.
Non-goals: training, LoRA, export; downloading GGUFs (``entropi models pull``).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from entropi.inference.chat_format import ChatFormatter
from entropi.inference.filehash import default_cache_dir, file_sha256
from entropi.inference.gguf_info import GGUFError, GGUFInfo, read_gguf_info
from entropi.inference.model_store import ModelStoreError, embedded_model_path, resolve_model

# transformers model_type → llama.cpp architecture (what the exported adapter's tensor names follow)
HF_TO_GGUF_ARCH = {"llama": "llama", "mistral": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
_BIG_MODEL_PARAMS = 1_000_000_000  # above this a converted GGUF is cached in bf16, not fp32


class BaseModelError(Exception):
    """The base model cannot be found, identified or loaded; the message says which and why."""


@dataclass(frozen=True)
class BaseSpec:
    """A resolved base: where it is, what it is, and the GGUF the adapter will run on."""

    source: str
    kind: Literal["gguf", "hf"]
    location: str  # GGUF file, HF dir, or Hub id
    model_id: str
    arch: str
    gguf: Path | None
    gguf_info: GGUFInfo | None  # the header of ``gguf``, read once (a 49k-token vocabulary takes seconds)

    def sha256(self) -> str | None:
        """sha256 of the GGUF the adapter is for; None for an HF base without ``base_gguf``."""
        return file_sha256(self.gguf) if self.gguf else None


def _gguf_info(path: Path) -> GGUFInfo:
    try:
        info = read_gguf_info(path)
    except GGUFError as exc:
        raise BaseModelError(f"base model {exc}") from exc
    if info.is_adapter:
        raise BaseModelError(f"{path} is a LoRA adapter, not a base model")
    return info


def _hf_arch(location: str) -> str:
    config_file = Path(location) / "config.json"
    if config_file.is_file():
        try:
            model_type = json.loads(config_file.read_text(encoding="utf-8")).get("model_type")
        except (OSError, ValueError) as exc:
            raise BaseModelError(f"{config_file}: unreadable ({exc})") from exc
    else:
        from transformers import AutoConfig

        try:
            model_type = AutoConfig.from_pretrained(location).model_type
        except (OSError, ValueError) as exc:
            raise BaseModelError(f"cannot read the config of {location!r}: {exc}") from exc
    if model_type not in HF_TO_GGUF_ARCH:
        raise BaseModelError(
            f"{location}: model_type {model_type!r} has no GGUF LoRA export here "
            f"(supported: {', '.join(sorted(HF_TO_GGUF_ARCH))})"
        )
    return HF_TO_GGUF_ARCH[model_type]


def resolve_base(
    spec: str | None, *, base_gguf: Path | None = None, project_root: Path, project_model: Path | None = None
) -> BaseSpec:
    """``spec`` (file, dir, Hub id, preset, 'embedded'; None: ``project_model`` or the embedded model)."""
    if spec is None:
        spec = str(project_model) if project_model else "embedded"
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise BaseModelError(f"{path} is a directory without config.json: not an HF model dir")
        kind, location, model_id = "hf", str(path.resolve()), path.name
    elif (
        path.is_file() or spec.endswith(".gguf") or spec in ("embedded", "default") or not _HUB_ID.match(spec)
    ):
        try:
            file = resolve_model(spec, project_root / "models")
        except ModelStoreError as exc:
            raise BaseModelError(str(exc)) from exc
        kind, location = "gguf", str(file.resolve())
        model_id = "SmolLM2-135M-Instruct-Q4_1" if file == embedded_model_path() else file.stem
    else:
        kind, location, model_id = "hf", spec, spec
    info: GGUFInfo | None = None
    if kind == "gguf":
        if base_gguf is not None:
            raise BaseModelError("base_gguf is only for an HF base: a GGUF base is its own runtime model")
        gguf: Path | None = Path(location)
        info = _gguf_info(gguf)
        arch = info.arch
    else:
        arch = _hf_arch(location)
        gguf = None
        if base_gguf is not None:
            gguf = Path(base_gguf).expanduser().resolve()
            if not gguf.is_file():
                raise BaseModelError(f"base_gguf {gguf} not found")
            info = _gguf_info(gguf)
            if info.arch != arch:
                raise BaseModelError(f"base_gguf {gguf} is {info.arch!r} but the HF base is {arch!r}")
    return BaseSpec(spec, kind, location, model_id, arch, gguf, info)


def _fix_special_tokens(tokenizer: Any, metadata: dict[str, Any]) -> None:
    """Take bos/eos/pad from the GGUF header, as llama.cpp does (transformers' conversion may not)."""
    for role in ("bos", "eos", "pad"):
        key = "padding" if role == "pad" else role
        token_id = metadata.get(f"tokenizer.ggml.{key}_token_id")
        if isinstance(token_id, int) and 0 <= token_id < len(tokenizer):
            setattr(tokenizer, f"{role}_token", tokenizer.convert_ids_to_tokens(token_id))


@contextmanager
def _fast_gguf_parsing() -> Iterator[None]:
    """While transformers reads a GGUF: the 3x faster header parser and one tensor-name map per architecture.

    transformers parses the whole header (vocabulary included) three times with ``gguf.GGUFReader`` and
    builds a ``TensorNameMap`` for every tensor; both are looked up on the ``gguf`` module at call time.
    """
    import gguf

    from entropi.inference.gguf_info import _ArrayBackedReader

    reader, name_map = gguf.GGUFReader, gguf.get_tensor_name_map
    gguf.GGUFReader, gguf.get_tensor_name_map = _ArrayBackedReader, functools.cache(name_map)
    try:
        yield
    finally:
        gguf.GGUFReader, gguf.get_tensor_name_map = reader, name_map


def convert_gguf(gguf: Path, dest: Path, metadata: dict[str, Any]) -> Path:
    """Dequantize ``gguf`` with transformers and save it as an HF dir at ``dest`` (atomically)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        folder, name = gguf.parent, gguf.name
        with _fast_gguf_parsing():
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        _fix_special_tokens(tokenizer, metadata)
        if model.num_parameters() > _BIG_MODEL_PARAMS:
            model = model.to(torch.bfloat16)
        model.config.architectures = [type(model).__name__]
        # transformers marks a model read from a GGUF as "GGUF-quantized" even though its weights are now
        # plain tensors, and refuses to save it; the marker is all that is dropped here.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def hf_location(
    spec: BaseSpec, *, cache_dir: Path | None = None, on_convert: Callable[[Path], None] | None = None
) -> str:
    """What ``from_pretrained`` should load: the HF dir / Hub id, or the cached conversion of a GGUF
    (``on_convert(dest)`` is called first when the conversion has to be made)."""
    if spec.kind == "hf":
        return spec.location
    assert spec.gguf is not None
    root = (cache_dir or default_cache_dir()) / "hf-from-gguf"
    dest = root / spec.sha256()[:24]
    if not (dest / "config.json").is_file():
        root.mkdir(parents=True, exist_ok=True)
        if on_convert is not None:
            on_convert(dest)
        try:
            convert_gguf(spec.gguf, dest, spec.gguf_info.metadata if spec.gguf_info else {})
        except OSError as exc:
            if not (dest / "config.json").is_file():  # a concurrent run may have won the rename
                raise BaseModelError(f"cannot convert {spec.gguf} for training: {exc}") from exc
    return str(dest)


def training_formatter(
    spec: BaseSpec, tokenizer: Any, *, template_override: str | None = None
) -> ChatFormatter:
    """The runtime's chat template for this base: the override, else the GGUF's, else the tokenizer's."""
    metadata = spec.gguf_info.metadata if spec.gguf_info else {}
    template = template_override or metadata.get("tokenizer.chat_template") or tokenizer.chat_template
    source = "override" if template_override else str(spec.gguf or spec.location)
    metadata = {"tokenizer.chat_template": template} if template else {}
    return ChatFormatter.from_gguf_metadata(
        metadata, bos_token=tokenizer.bos_token or "", eos_token=tokenizer.eos_token or "", source=source
    )
