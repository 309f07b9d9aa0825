"""Promotion history and rollback in the adapter registry (`lora_adapters/<tier>/history.json`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from entropi.training import registry
from entropi.training.registry import RegistryError


def _versions(root: Path, tier: str, *names: str) -> None:
    for name in names:
        folder = root / tier / name
        folder.mkdir(parents=True)
        (folder / registry.ADAPTER_FILE).write_bytes(b"GGUF")
        registry.write_manifest(folder, {"version": name})


def test_every_promotion_records_what_was_current_before(tmp_path: Path):
    _versions(tmp_path, "code", "v0001", "v0002")
    registry.promote(tmp_path, "code", "v0001")
    registry.promote(
        tmp_path, "code", "v0002", forced=True, gate={"accepted": False, "failed": ["selection"]}
    )
    events = registry.history(tmp_path, "code")
    assert [(e["action"], e["version"], e["previous"]) for e in events] == [
        ("promote", "v0001", None),
        ("promote", "v0002", "v0001"),
    ]
    assert "forced" not in events[0] and events[1]["forced"] is True
    assert events[1]["gate"] == {"accepted": False, "failed": ["selection"]} and events[1]["at"]
    leftovers = [p.name for p in (tmp_path / "code").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], "history is written atomically (temp file + rename)"
    assert registry.versions(tmp_path, "code") == ["v0001", "v0002"], "history files are not versions"


def test_rollback_walks_back_one_promotion_at_a_time_down_to_the_base(tmp_path: Path):
    _versions(tmp_path, "code", "v0001", "v0002", "v0003")
    for version in ("v0001", "v0002", "v0003"):
        registry.promote(tmp_path, "code", version)
    assert registry.rollback(tmp_path, "code") == "v0002"
    assert registry.current_version(tmp_path, "code") == "v0002"
    assert registry.rollback(tmp_path, "code") == "v0001"
    assert registry.rollback(tmp_path, "code") is None
    link = tmp_path / "code" / "current"
    assert not link.exists() and not link.is_symlink(), "no adapter: the tier runs on the base"
    with pytest.raises(RegistryError, match="no current adapter to roll back"):
        registry.rollback(tmp_path, "code")
    events = registry.history(tmp_path, "code")
    assert [(e["action"], e["version"], e["previous"]) for e in events[3:]] == [
        ("rollback", "v0002", "v0003"),
        ("rollback", "v0001", "v0002"),
        ("rollback", None, "v0001"),
    ]


def test_a_promotion_after_a_rollback_rolls_back_to_what_it_replaced(tmp_path: Path):
    _versions(tmp_path, "code", "v0001", "v0002", "v0003")
    registry.promote(tmp_path, "code", "v0001")
    registry.promote(tmp_path, "code", "v0002")
    registry.rollback(tmp_path, "code")  # back to v0001
    registry.promote(tmp_path, "code", "v0003")
    registry.promote(tmp_path, "code", "v0003")  # promoting the current again changes nothing
    assert registry.promotion_stack(registry.history(tmp_path, "code")) == [None, "v0001", "v0003"]
    assert registry.rollback(tmp_path, "code") == "v0001"


def test_history_starts_from_a_current_promoted_before_history_existed(tmp_path: Path):
    _versions(tmp_path, "code", "v0001", "v0002")
    os.symlink("v0001", tmp_path / "code" / "current")  # an older entropi promoted without history
    registry.promote(tmp_path, "code", "v0002")
    assert registry.rollback(tmp_path, "code") == "v0001"
    with pytest.raises(RegistryError, match="no earlier current recorded before v0001"):
        registry.rollback(tmp_path, "code")


def test_rollback_refuses_a_pointer_the_history_does_not_explain(tmp_path: Path):
    _versions(tmp_path, "code", "v0001", "v0002")
    registry.promote(tmp_path, "code", "v0001")
    link = tmp_path / "code" / "current"
    link.unlink()
    os.symlink("v0002", link)  # moved by hand
    with pytest.raises(RegistryError, match=r"current is v0002 but .*history\.json does not record"):
        registry.rollback(tmp_path, "code")
    assert registry.current_version(tmp_path, "code") == "v0002", "nothing moved"


def test_rollback_to_a_deleted_version_fails_and_leaves_current(tmp_path: Path):
    _versions(tmp_path, "code", "v0001", "v0002")
    registry.promote(tmp_path, "code", "v0001")
    registry.promote(tmp_path, "code", "v0002")
    (tmp_path / "code" / "v0001" / registry.ADAPTER_FILE).unlink()
    with pytest.raises(RegistryError, match=r"no adapter\.gguf"):
        registry.rollback(tmp_path, "code")
    assert registry.current_version(tmp_path, "code") == "v0002"
    assert registry.history(tmp_path, "code")[-1]["action"] == "promote", "a failed rollback is not recorded"


def test_unknown_tier_and_unreadable_history_are_clear_errors(tmp_path: Path):
    with pytest.raises(RegistryError, match="tier 'thinking' has no adapters"):
        registry.rollback(tmp_path, "thinking")
    assert not (tmp_path / "thinking").exists()
    _versions(tmp_path, "code", "v0001")
    assert registry.history(tmp_path, "code") == []
    (tmp_path / "code" / registry.HISTORY_FILE).write_text("{broken")
    with pytest.raises(RegistryError, match=r"history\.json: unreadable"):
        registry.history(tmp_path, "code")
    (tmp_path / "code" / registry.HISTORY_FILE).write_text(json.dumps({"not": "a list"}))
    with pytest.raises(RegistryError, match="not a JSON list of events"):
        registry.promote(tmp_path, "code", "v0001")
