"""Adapter registry: version numbering, runs and resume, finalize, promote (`current`), listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entropi.inference.adapters import read_manifest, resolve_adapter_file
from entropi.inference.tier_setup import discover_adapter
from entropi.training import registry
from entropi.training.registry import RegistryError


def _finished(root: Path, tier: str, version: str, manifest: dict | None = None) -> Path:
    folder = root / tier / version
    folder.mkdir(parents=True)
    (folder / registry.ADAPTER_FILE).write_bytes(b"GGUF")
    registry.write_manifest(folder, manifest or {"version": version, "base_model": {"sha256": "ab" * 32}})
    return folder


def test_versions_count_up_past_finished_and_unfinished_runs(tmp_path: Path):
    assert registry.next_version(tmp_path, "code") == "v0001"
    _finished(tmp_path, "code", "v0001")
    version, work = registry.new_run(tmp_path, "code", resume=False)
    assert version == "v0002" and work == tmp_path / "code" / ".runs" / "v0002" and work.is_dir()
    assert registry.next_version(tmp_path, "code") == "v0003"
    (tmp_path / "code" / "notes").mkdir()  # unrelated names are ignored
    assert registry.versions(tmp_path, "code") == ["v0001"]


def test_resume_returns_the_last_unfinished_run_or_says_there_is_none(tmp_path: Path):
    with pytest.raises(RegistryError, match="no unfinished run for tier 'code'"):
        registry.new_run(tmp_path, "code", resume=True)
    registry.new_run(tmp_path, "code", resume=False)
    _, second = registry.new_run(tmp_path, "code", resume=False)
    assert registry.new_run(tmp_path, "code", resume=True) == ("v0002", second)


def test_finalize_renames_the_run_and_never_overwrites(tmp_path: Path):
    version, work = registry.new_run(tmp_path, "code", resume=False)
    (work / "adapter.gguf").write_bytes(b"x")
    folder = registry.finalize(work, tmp_path, "code", version)
    assert folder == tmp_path / "code" / "v0001" and (folder / "adapter.gguf").is_file() and not work.exists()
    other = tmp_path / "code" / ".runs" / "v0001"
    other.mkdir(parents=True)
    with pytest.raises(RegistryError, match="already exists"):
        registry.finalize(other, tmp_path, "code", "v0001")


def test_promote_points_current_at_a_version_the_runtime_resolves(tmp_path: Path):
    _finished(tmp_path, "code", "v0001", {"version": "v0001"})
    _finished(tmp_path, "code", "v0002", {"version": "v0002"})
    registry.promote(tmp_path, "code", "v0001")
    registry.promote(tmp_path, "code", "v0002")  # replaces the pointer
    link = tmp_path / "code" / "current"
    assert link.is_symlink() and Path(link.readlink()) == Path("v0002"), "relative: the tree can move"
    assert registry.current_version(tmp_path, "code") == "v0002"
    project = tmp_path.parent / "project"
    (project / "lora_adapters").mkdir(parents=True)
    (project / "lora_adapters" / "code").symlink_to(tmp_path / "code")
    found = discover_adapter(project, "code")
    assert found is not None
    adapter = resolve_adapter_file(found)
    assert read_manifest(adapter)["version"] == "v0002"


def test_promote_refuses_a_version_without_an_adapter_or_a_real_current_dir(tmp_path: Path):
    (tmp_path / "code" / "v0001").mkdir(parents=True)
    with pytest.raises(RegistryError, match=r"no adapter\.gguf"):
        registry.promote(tmp_path, "code", "v0001")
    _finished(tmp_path, "code", "v0002")
    (tmp_path / "code" / "current").mkdir()
    with pytest.raises(RegistryError, match="not a symlink"):
        registry.promote(tmp_path, "code", "v0002")


def test_list_reports_every_version_current_and_problems(tmp_path: Path):
    _finished(tmp_path, "code", "v0001", {"base_model": {"sha256": "c" * 64}, "metrics": {"training": {}}})
    _finished(tmp_path, "code", "v0002")
    registry.promote(tmp_path, "code", "v0002")
    broken = tmp_path / "thinking" / "v0001"
    broken.mkdir(parents=True)
    (broken / "manifest.json").write_text("{oops")
    no_gguf = tmp_path / "thinking" / "v0002"
    no_gguf.mkdir()
    registry.write_manifest(no_gguf, {"version": "v0002"})
    (tmp_path / "code" / ".runs" / "v0003").mkdir(parents=True)  # unfinished: not listed
    entries = registry.list_adapters(tmp_path)
    assert [(e.tier, e.version, e.current) for e in entries] == [
        ("code", "v0001", False),
        ("code", "v0002", True),
        ("thinking", "v0001", False),
        ("thinking", "v0002", False),
    ]
    assert entries[0].base_sha256 == "c" * 64 and entries[0].problem is None
    assert "unreadable" in entries[2].problem and entries[3].problem == "adapter.gguf missing"
    assert registry.list_adapters(tmp_path / "nowhere") == []


def test_manifest_is_written_as_sorted_json(tmp_path: Path):
    path = registry.write_manifest(tmp_path, {"b": 1, "a": Path("x")})
    assert json.loads(path.read_text()) == {"a": "x", "b": 1}
    assert registry.read_manifest(tmp_path) == {"a": "x", "b": 1}
    (tmp_path / "manifest.json").write_text("[1]")
    with pytest.raises(RegistryError, match="not a JSON object"):
        registry.read_manifest(tmp_path)


def test_code_revision_names_a_commit_or_the_package_version():
    revision = registry.code_revision()
    assert revision.startswith("entropi ") or len(revision.removesuffix("-dirty")) == 40
