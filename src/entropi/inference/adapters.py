"""Per-tier LoRA adapters on one loaded base: resolve, validate, preload, and hand out swap sets.

An adapter that cannot be used (missing, not a GGUF, truncated, wrong architecture, built for another base,
rejected by llama.cpp) never stops entropi: its tier runs on the base and the status carries a clear
error that names the file. Non-goals: activating adapters on a context (``LlamaContext.set_adapters``),
training or exporting adapters.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import llama_cpp as L

from entropi.inference.gguf_info import GGUFError, read_gguf_info
from entropi.inference.llama_model import LlamaModel, captured_llama_errors

log = logging.getLogger(__name__)

ADAPTER_FILE = "adapter.gguf"
MANIFEST_FILE = "manifest.json"


class AdapterError(Exception):
    """An adapter file that cannot be used; the message names the file and the reason."""


@dataclass
class AdapterStatus:
    """What happened to one tier's configured adapter."""

    tier: str
    configured: Path | None
    scale: float = 1.0
    path: Path | None = None
    loaded: bool = False
    error: str | None = None
    version: str | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    load_ms: float = 0.0

    @property
    def label(self) -> str:
        if self.loaded and self.path is not None:
            return f"{self.path.parent.name if self.path.name == ADAPTER_FILE else self.path.stem}"
        return "base"


def resolve_adapter_file(configured: Path) -> Path:
    """A file is itself; a directory (e.g. ``lora_adapters/code/current``) holds ``adapter.gguf``."""
    path = Path(configured).expanduser()
    if path.is_dir():
        path = path / ADAPTER_FILE
    if not path.is_file():
        raise AdapterError(f"adapter not found: {path}")
    return path


def read_manifest(adapter_file: Path) -> dict[str, Any]:
    """The ``manifest.json`` next to an adapter, or {} when there is none."""
    mpath = adapter_file.parent / MANIFEST_FILE
    if not mpath.is_file():
        return {}
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AdapterError(f"{mpath}: unreadable manifest ({exc})") from exc
    if not isinstance(data, dict):
        raise AdapterError(f"{mpath}: manifest must be a JSON object")
    return data


def validate_adapter_file(path: Path, *, base_arch: str, base_sha256: Callable[[], str]) -> dict[str, Any]:
    """Check the adapter's own header and manifest against the base; return the manifest.

    Tensor-shape agreement with the base is checked by llama.cpp when the adapter is loaded.
    """
    try:
        info = read_gguf_info(path)
    except GGUFError as exc:
        raise AdapterError(str(exc)) from exc
    if info.general_type != "adapter" or info.metadata.get("adapter.type") != "lora":
        raise AdapterError(
            f"{path}: not a LoRA adapter (general.type={info.general_type!r}, "
            f"adapter.type={info.metadata.get('adapter.type')!r})"
        )
    if info.arch != base_arch:
        raise AdapterError(
            f"{path}: adapter is for architecture {info.arch!r}, the base model is {base_arch!r}"
        )
    names = set(info.tensors)
    if not names:
        raise AdapterError(f"{path}: adapter has no tensors")
    for name in names:
        stem, _, kind = name.rpartition(".")
        twin = f"{stem}.lora_b" if kind == "lora_a" else f"{stem}.lora_a" if kind == "lora_b" else None
        if twin is None:
            raise AdapterError(f"{path}: unexpected tensor {name!r} (expected <base>.lora_a / .lora_b)")
        if twin not in names:
            raise AdapterError(f"{path}: tensor {name!r} has no matching {twin!r}")
    manifest = read_manifest(path)
    base = manifest.get("base_model") or {}
    if isinstance(base, dict):
        if base.get("arch") and base["arch"] != base_arch:
            raise AdapterError(f"{path}: manifest says base arch {base['arch']!r}, the base is {base_arch!r}")
        want = base.get("sha256")
        if want:
            have = base_sha256()
            if want != have:
                raise AdapterError(
                    f"{path}: trained for base sha256 {want[:12]}…, the loaded base is {have[:12]}…"
                )
    return manifest


class AdapterSet:
    """Adapters preloaded on one model, one optional adapter per slot (tier name or "router")."""

    def __init__(self, model: LlamaModel, *, base_arch: str, base_sha256: Callable[[], str]) -> None:
        self._model = model
        self._base_arch = base_arch
        self._base_sha256 = base_sha256
        self._handles: dict[str, object] = {}
        self.statuses: dict[str, AdapterStatus] = {}

    def load(self, slot: str, configured: Path | None, scale: float = 1.0) -> AdapterStatus:
        """Validate and load ``configured`` for ``slot``; failures leave the slot on the base."""
        status = AdapterStatus(tier=slot, configured=configured, scale=scale)
        self.statuses[slot] = status
        if configured is None:
            return status
        started = time.perf_counter()
        try:
            status.path = resolve_adapter_file(configured)
            status.manifest = validate_adapter_file(
                status.path, base_arch=self._base_arch, base_sha256=self._base_sha256
            )
            status.version = str(status.manifest.get("version") or "") or None
            with captured_llama_errors() as errors:
                handle = L.llama_adapter_lora_init(self._model.handle, str(status.path).encode())
            if not handle:
                detail = "; ".join(e for e in errors if e) or "no reason given"
                raise AdapterError(f"{status.path}: llama.cpp refused the adapter ({detail})")
        except AdapterError as exc:
            status.error = str(exc)
            log.warning("tier %s runs on the base model: %s", slot, exc)
            return status
        self._handles[slot] = handle
        status.loaded = True
        status.load_ms = (time.perf_counter() - started) * 1000
        return status

    def swap_set(self, slot: str) -> tuple[tuple, list[tuple[object, float]]]:
        """The (key, [(handle, scale)]) to activate for ``slot``; key ``()`` means the bare base."""
        handle = self._handles.get(slot)
        if handle is None:
            return (), []
        status = self.statuses[slot]
        return (slot, str(status.path), status.scale), [(handle, status.scale)]

    def unload(self, slot: str) -> None:
        """Free ``slot``'s adapter (if any) and forget the slot."""
        handle = self._handles.pop(slot, None)
        if handle is not None:
            L.llama_adapter_lora_free(handle)
        self.statuses.pop(slot, None)

    def close(self) -> None:
        for handle in self._handles.values():
            L.llama_adapter_lora_free(handle)
        self._handles.clear()
