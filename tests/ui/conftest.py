"""Fixtures for the UI tests: a project on disk (named ``demo``: the app shows the name)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    (root / ".entropi").mkdir(parents=True)
    (root / "app.py").write_text("def add(a, b):\n    return a - b\n")
    return root
