"""`entropi adapters list`: versions per tier, the current one, base hash and metrics, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from entropi.commands import adapters
from entropi.training import registry


def _parse(argv: list[str], root: Path) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="entropi")
    adapters.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    args.project_root = root
    return args


def _version(root: Path, tier: str, version: str, manifest: dict) -> None:
    folder = root / "lora_adapters" / tier / version
    folder.mkdir(parents=True)
    (folder / "adapter.gguf").write_bytes(b"GGUF")
    registry.write_manifest(folder, manifest)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    training = {"sft": {"eval_loss": 1.2345678, "train_loss": 2.0}, "dpo": {"train_loss": 0.69}}
    first = {
        "base_model": {"id": "smol", "sha256": "a" * 64},
        "created": "2026-11-22",
        "metrics": {"training": training, "evaluation": None},
    }
    second = {
        "base_model": {"id": "smol", "sha256": "b" * 64},
        "metrics": {"evaluation": {"pass_rate": 0.75, "note": "x"}},
    }
    _version(tmp_path, "code", "v0001", first)
    _version(tmp_path, "code", "v0002", second)
    registry.promote(tmp_path / "lora_adapters", "code", "v0002")
    (tmp_path / "lora_adapters" / "thinking" / "v0001").mkdir(parents=True)  # no manifest, no adapter
    return tmp_path


def test_json_lists_every_version_with_base_hash_metrics_and_problems(project: Path, capsys):
    assert adapters.cmd_list(_parse(["adapters", "list", "--json"], project)) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["tier"], r["version"], r["current"]) for r in rows] == [
        ("code", "v0001", False),
        ("code", "v0002", True),
        ("thinking", "v0001", False),
    ]
    assert (
        rows[0]["base_sha256"] == "a" * 64 and rows[0]["metrics"]["training"]["sft"]["eval_loss"] == 1.2345678
    )
    assert "manifest.json: missing" in rows[2]["problem"]


def test_the_table_shows_evaluation_metrics_first_else_stage_losses(project: Path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")
    assert adapters.cmd_list(_parse(["adapters", "list", "--tier", "code"], project)) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "sft eval_loss 1.235, dpo train_loss 0.69" in out
    assert "pass_rate 0.75" in out and "aaaaaaaaaaaa" in out and "yes" in out and "thinking" not in out


def test_an_empty_or_missing_root_says_how_to_get_adapters(tmp_path: Path, capsys):
    assert adapters.cmd_list(_parse(["adapters", "list"], tmp_path)) == 0
    assert "no adapters under" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    with pytest.raises(adapters.CommandError, match="is not a directory"):
        adapters.cmd_list(_parse(["adapters", "list", "--dir", str(tmp_path / "file")], tmp_path))
