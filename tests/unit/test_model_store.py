"""model_store and `entropi models`: embedded model, presets, pull (from a fake HF cache), list, resolve.

No test here touches the network: HF_HUB_OFFLINE=1 and the HF cache points into tmp_path.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import gguf
import numpy as np
import pytest

from entropi.commands.models import register
from entropi.inference.gguf_info import read_gguf_info
from entropi.inference.model_store import (
    EMBEDDED_MODEL_ID,
    PRESETS,
    ModelNotFoundError,
    ModelStoreError,
    embedded_model_path,
    list_models,
    pull,
    resolve_model,
)

SNAPSHOT = "0123456789abcdef0123456789abcdef01234567"


def write_gguf(path: Path, *, arch: str = "qwen3", adapter: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(path, arch)
    if adapter:
        writer.add_type("adapter")
    writer.add_tensor("token_embd.weight", np.ones((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    hf_home = tmp_path / "hf"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("HF_HUB_CACHE", str(hf_home / "hub"))
    return hf_home / "hub"


def add_to_cache(hub: Path, repo_id: str, filename: str, content: Path | bytes) -> Path:
    """Lay a file out as huggingface_hub does: a blob, a ref, and a snapshot symlink to the blob."""
    repo = hub / f"models--{repo_id.replace('/', '--')}"
    blob = repo / "blobs" / "etag-of-file"
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(content.read_bytes() if isinstance(content, Path) else content)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(SNAPSHOT)
    link = repo / "snapshots" / SNAPSHOT / filename
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(blob, link.parent))
    return blob


# --- embedded model -------------------------------------------------------------------------------


def test_embedded_model_path() -> None:
    path = embedded_model_path()
    assert path.is_file() and path.suffix == ".gguf" and "Q4_1" in path.name
    assert path.read_bytes()[:4] == b"GGUF"
    assert EMBEDDED_MODEL_ID == "SmolLM2-135M-Instruct-Q4_1"


def test_embedded_package_missing() -> None:
    with pytest.raises(ModelNotFoundError, match="not installed"):
        embedded_model_path("entropi_test_no_such_package")


def test_embedded_package_without_gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "entropi_fake_weights").mkdir()
    (tmp_path / "entropi_fake_weights" / "__init__.py").write_text(
        "raise RuntimeError('must not be imported')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelNotFoundError, match=r"no \.gguf file"):
        embedded_model_path("entropi_fake_weights")
    write_gguf(tmp_path / "entropi_fake_weights" / "a-Q8_0.gguf")
    write_gguf(tmp_path / "entropi_fake_weights" / "b-Q4_1.gguf")
    assert embedded_model_path("entropi_fake_weights").name == "b-Q4_1.gguf"


def test_presets() -> None:
    assert {n: (p.repo_id, p.filename) for n, p in PRESETS.items()} == {
        "qwen3-0.6b": ("Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf"),
        "qwen3-8b": ("Qwen/Qwen3-8B-GGUF", "Qwen3-8B-Q4_K_M.gguf"),
        "qwen3-14b": ("Qwen/Qwen3-14B-GGUF", "Qwen3-14B-Q4_K_M.gguf"),
    }


# --- pull -----------------------------------------------------------------------------------------


def test_pull_preset_from_hf_cache(tmp_path: Path, hf_cache: Path) -> None:
    blob = add_to_cache(
        hf_cache, "Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf", write_gguf(tmp_path / "src.gguf")
    )
    models = tmp_path / "models"
    path = pull("qwen3-0.6b", models)
    assert path == models / "Qwen3-0.6B-Q8_0.gguf"
    assert path.is_file() and not path.is_symlink()
    assert path.read_bytes() == blob.read_bytes()
    assert path.stat().st_ino == blob.stat().st_ino  # hard-linked: same filesystem
    assert read_gguf_info(path).arch == "qwen3"
    assert sorted(p.name for p in models.iterdir()) == ["Qwen3-0.6B-Q8_0.gguf"]


def test_pull_repo_with_file(tmp_path: Path, hf_cache: Path) -> None:
    add_to_cache(hf_cache, "someone/tiny-GGUF", "sub/tiny.gguf", write_gguf(tmp_path / "src.gguf"))
    path = pull("someone/tiny-GGUF", tmp_path / "models", filename="sub/tiny.gguf")
    assert path == tmp_path / "models" / "tiny.gguf"
    assert read_gguf_info(path).arch == "qwen3"


def test_pull_offline_without_cache(tmp_path: Path, hf_cache: Path) -> None:
    models = tmp_path / "models"
    with pytest.raises(ModelStoreError) as caught:
        pull("qwen3-8b", models)
    message = str(caught.value)
    assert "HF_HUB_OFFLINE" in message
    assert "`entropi models pull qwen3-8b`" in message and "--from" in message
    assert not models.exists() or not any(models.iterdir())


def test_pull_non_gguf_from_cache_leaves_nothing(tmp_path: Path, hf_cache: Path) -> None:
    add_to_cache(hf_cache, "Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf", b"<html>rate limited</html>")
    models = tmp_path / "models"
    with pytest.raises(ModelStoreError, match="not a usable GGUF"):
        pull("qwen3-0.6b", models)
    assert list(models.iterdir()) == []


def test_pull_from_source_dir(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    source = write_gguf(mirror / "Qwen3-8B-Q4_K_M.gguf")
    path = pull("qwen3-8b", tmp_path / "models", source_dir=mirror)
    assert path == tmp_path / "models" / "Qwen3-8B-Q4_K_M.gguf"
    assert path.read_bytes() == source.read_bytes()
    assert source.exists()


def test_pull_non_gguf_source_rejected(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "Qwen3-8B-Q4_K_M.gguf").write_bytes(b"not a model at all")
    models = tmp_path / "models"
    with pytest.raises(ModelStoreError, match="bad magic"):
        pull("qwen3-8b", models, source_dir=mirror)
    assert list(models.iterdir()) == []


def test_pull_truncated_source_rejected(tmp_path: Path) -> None:
    source = write_gguf(tmp_path / "mirror" / "Qwen3-8B-Q4_K_M.gguf")
    os.truncate(source, source.stat().st_size - 7)
    with pytest.raises(ModelStoreError, match="truncated"):
        pull("qwen3-8b", tmp_path / "models", source_dir=tmp_path / "mirror")
    assert list((tmp_path / "models").iterdir()) == []


def test_pull_source_dir_missing_file(tmp_path: Path) -> None:
    (tmp_path / "mirror").mkdir()
    with pytest.raises(ModelNotFoundError, match="not found"):
        pull("qwen3-8b", tmp_path / "models", source_dir=tmp_path / "mirror")


def test_pull_keeps_a_present_file(tmp_path: Path) -> None:
    existing = write_gguf(tmp_path / "models" / "Qwen3-8B-Q4_K_M.gguf")
    (tmp_path / "empty-mirror").mkdir()
    assert pull("qwen3-8b", tmp_path / "models", source_dir=tmp_path / "empty-mirror") == existing


def test_pull_replaces_a_broken_file(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "Qwen3-8B-Q4_K_M.gguf").write_bytes(b"half a download")
    write_gguf(tmp_path / "mirror" / "Qwen3-8B-Q4_K_M.gguf")
    path = pull("qwen3-8b", models, source_dir=tmp_path / "mirror")
    assert read_gguf_info(path).arch == "qwen3"


@pytest.mark.parametrize(
    ("spec", "filename", "error"),
    [
        ("no-such-preset", None, "unknown model 'no-such-preset'"),
        ("owner/repo", None, "--file"),
        ("owner/repo", "../escape.gguf", "not a relative path"),
        ("owner/repo", "/abs/model.gguf", "not a relative path"),
        ("owner/repo", "weights.bin", "not a relative path to a .gguf"),
    ],
)
def test_pull_bad_spec(tmp_path: Path, hf_cache: Path, spec: str, filename: str | None, error: str) -> None:
    with pytest.raises(ModelStoreError, match=error.replace(".", r"\.")):
        pull(spec, tmp_path / "models", filename=filename)


def test_pull_models_dir_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "models").write_text("oops")
    with pytest.raises(ModelStoreError, match="not a directory"):
        pull("qwen3-8b", tmp_path / "models", source_dir=tmp_path)


# --- list / resolve -------------------------------------------------------------------------------


def test_list_models_without_models_dir(tmp_path: Path) -> None:
    entries = {e.name: e for e in list_models(tmp_path / "absent")}
    assert list(entries) == ["embedded", *PRESETS]
    assert entries["embedded"].present and entries["embedded"].arch == "llama"
    assert entries["embedded"].source == "embedded"
    assert not any(entries[name].present for name in PRESETS)


def test_list_models_mixed_dir(tmp_path: Path) -> None:
    models = tmp_path / "models"
    write_gguf(models / "Qwen3-8B-Q4_K_M.gguf")
    write_gguf(models / "my-llama.gguf", arch="llama")
    write_gguf(models / "an-adapter.gguf", adapter=True)
    (models / "broken.gguf").write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    (models / "notes.txt").write_text("ignored")
    entries = {e.name: e for e in list_models(models)}
    assert set(entries) == {"embedded", *PRESETS, "my-llama", "an-adapter", "broken"}
    assert entries["qwen3-8b"].present and entries["qwen3-8b"].arch == "qwen3"
    assert entries["qwen3-8b"].size_bytes == (models / "Qwen3-8B-Q4_K_M.gguf").stat().st_size
    assert not entries["qwen3-14b"].present and entries["qwen3-14b"].size_bytes is None
    assert entries["my-llama"].source == "local" and entries["my-llama"].arch == "llama"
    assert entries["an-adapter"].note == "LoRA adapter, not a base model"
    assert entries["broken"].present and entries["broken"].arch is None
    assert entries["broken"].note is not None and "truncated or corrupt" in entries["broken"].note


def test_list_models_dir_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "models").write_text("oops")
    with pytest.raises(ModelStoreError, match="not a directory"):
        list_models(tmp_path / "models")


def test_resolve_model(tmp_path: Path) -> None:
    models = tmp_path / "models"
    preset_file = write_gguf(models / "Qwen3-0.6B-Q8_0.gguf")
    local = write_gguf(models / "mine.gguf")
    assert resolve_model(local, models) == local
    assert resolve_model(str(local), models) == local
    assert resolve_model("qwen3-0.6b", models) == preset_file
    assert resolve_model("mine", models) == local
    assert resolve_model("embedded", models) == embedded_model_path()
    assert resolve_model("default", models) == embedded_model_path()


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("qwen3-14b", "run `entropi models pull qwen3-14b`"),
        ("nothing-like-this", "no model 'nothing-like-this'"),
        ("missing/file.gguf", "no such model file"),
    ],
)
def test_resolve_model_errors(tmp_path: Path, spec: str, error: str) -> None:
    with pytest.raises(ModelNotFoundError, match=error.replace(".", r"\.")):
        resolve_model(spec, tmp_path / "models")


def test_resolve_model_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="is a directory"):
        resolve_model(tmp_path, tmp_path / "models")


# --- `entropi models` CLI -------------------------------------------------------------------------


def run_cli(project_root: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="entropi")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    args.project_root = project_root
    return args.func(args)


def test_cli_list_json_uses_project_models_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_gguf(tmp_path / "models" / "Qwen3-14B-Q4_K_M.gguf")
    assert run_cli(tmp_path, "models", "list", "--json") == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["qwen3-14b"]["present"] is True
    assert rows["qwen3-14b"]["path"] == str(tmp_path / "models" / "Qwen3-14B-Q4_K_M.gguf")
    assert rows["embedded"]["arch"] == "llama"


def test_cli_list_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(tmp_path, "models", "list", "--dir", str(tmp_path / "elsewhere")) == 0
    out = capsys.readouterr().out
    for name in ("embedded", *PRESETS):
        assert name in out


def test_cli_pull_and_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_gguf(tmp_path / "mirror" / "Qwen3-0.6B-Q8_0.gguf")
    target = tmp_path / "store"
    assert (
        run_cli(
            tmp_path, "models", "pull", "qwen3-0.6b", "--from", str(tmp_path / "mirror"), "--dir", str(target)
        )
        == 0
    )
    assert (target / "Qwen3-0.6B-Q8_0.gguf").is_file()
    capsys.readouterr()
    assert run_cli(tmp_path, "models", "path", "qwen3-0.6b", "--dir", str(target)) == 0
    assert capsys.readouterr().out.strip() == str(target / "Qwen3-0.6B-Q8_0.gguf")


@pytest.mark.parametrize(
    "argv",
    [
        ("models", "path", "qwen3-8b"),
        ("models", "pull", "owner/repo"),
        ("models", "pull", "qwen3-8b", "--from", "/nonexistent/mirror"),
    ],
)
def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    assert run_cli(tmp_path, *argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("entropi models: error: ")


def test_pull_into_unwritable_place(tmp_path: Path) -> None:
    write_gguf(tmp_path / "mirror" / "Qwen3-8B-Q4_K_M.gguf")
    (tmp_path / "blocker").write_text("a file where a parent dir should be")
    with pytest.raises(ModelStoreError, match="cannot write into"):
        pull("qwen3-8b", tmp_path / "blocker" / "models", source_dir=tmp_path / "mirror")
