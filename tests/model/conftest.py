"""Fixtures for the real-model suite: the embedded GGUF, real LoRA adapters for it, isolated projects."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from entropi.config import EntropiConfig, load_config
from entropi.inference.filehash import file_sha256
from entropi.inference.gguf_info import read_gguf_info
from entropi.inference.model_store import embedded_model_path
from entropi.training.lora_gguf_writer import random_lora_for, write_lora_gguf


@pytest.fixture(scope="session")
def base_path() -> Path:
    return embedded_model_path()


@pytest.fixture(scope="session")
def base_tensors(base_path: Path) -> dict[str, tuple[int, ...]]:
    return read_gguf_info(base_path).tensors


@pytest.fixture(scope="session")
def make_adapter(base_tensors, base_path, tmp_path_factory) -> Callable[..., Path]:
    """Build a real GGUF LoRA for the embedded model in its own version dir (with a manifest)."""
    root = tmp_path_factory.mktemp("adapters")

    def build(
        name: str,
        *,
        seed: int = 0,
        rank: int = 8,
        std: float = 0.05,
        arch: str = "llama",
        manifest: Mapping[str, Any] | None = None,
    ) -> Path:
        folder = root / name
        path = write_lora_gguf(
            folder / "adapter.gguf",
            arch=arch,
            alpha=float(rank),
            tensors=random_lora_for(base_tensors, rank=rank, seed=seed, std=std),
        )
        info = (
            manifest
            if manifest is not None
            else {"version": name, "base_model": {"arch": "llama", "sha256": file_sha256(base_path)}}
        )
        (folder / "manifest.json").write_text(json.dumps(info))
        return path

    return build


@pytest.fixture(scope="session")
def adapter_a(make_adapter) -> Path:
    return make_adapter("a", seed=1)


@pytest.fixture(scope="session")
def adapter_b(make_adapter) -> Path:
    return make_adapter("b", seed=2)


def write_project(
    root: Path,
    tiers: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    router: bool = False,
    prompt: str = "You are entropi. Answer briefly.",
) -> EntropiConfig:
    """A project whose tiers use short prompts, greedy sampling and the given overrides."""
    cfg_dir = root / ".entropi"
    cfg_dir.mkdir(parents=True, exist_ok=True)
    (cfg_dir / "prompt.md").write_text(prompt)
    tier_cfg: dict[str, Any] = {}
    for name in ("thinking", "normal", "code", "simple"):
        tier_cfg[name] = {
            "system_prompt": "prompt.md",
            "tools": ["filesystem.read_file"],
            "sampling": {"temperature": 0.0, "max_tokens": 12},
            **dict((tiers or {}).get(name, {})),
        }
    data = {"tiers": tier_cfg, "router": {"enabled": router}, "model": {"n_ctx": 2048}}
    (cfg_dir / "config.yaml").write_text(yaml.safe_dump(data))
    return load_config(root, env={}, home=root / "home")


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., EntropiConfig]:
    def make(tiers=None, **kw) -> EntropiConfig:
        return write_project(tmp_path, tiers, **kw)

    return make


@pytest.fixture
def broken_adapters(adapter_a: Path, tmp_path: Path, make_adapter) -> dict[str, Path]:
    """One adapter file per way an adapter can be unusable."""
    out = tmp_path / "broken"
    out.mkdir()
    truncated = out / "truncated.gguf"
    data = adapter_a.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    garbage = out / "garbage.gguf"
    garbage.write_bytes(b"this is not a gguf file at all\n" * 20)
    copied_base = out / "model_not_adapter.gguf"
    shutil.copyfile(embedded_model_path(), copied_base)
    return {
        "missing": out / "does-not-exist.gguf",
        "truncated": truncated,
        "not_gguf": garbage,
        "wrong_arch": make_adapter("wrong-arch", arch="qwen3", seed=3),
        "wrong_base": make_adapter(
            "wrong-base", seed=4, manifest={"base_model": {"arch": "llama", "sha256": "0" * 64}}
        ),
        "not_adapter": copied_base,
        "empty_dir": out,
    }


@pytest.fixture(scope="module")
def module_project(tmp_path_factory) -> Callable[..., tuple[Path, EntropiConfig]]:
    """Like ``project``, for module-scoped runtimes: each call makes a fresh project root.

    ``overrides`` is applied as the command-line config layer (e.g. ``{"model": {"n_ctx": 512}}``).
    """

    def make(tiers=None, *, overrides: Mapping[str, Any] | None = None, **kw) -> tuple[Path, EntropiConfig]:
        root = tmp_path_factory.mktemp("project")
        config = write_project(root, tiers, **kw)
        if overrides:
            config = load_config(root, env={}, home=root / "home", cli_overrides=overrides)
        return root, config

    return make
