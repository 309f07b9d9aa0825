"""Fixtures of the data tests: the task suite and the scenario logs (built once per test session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from data_support import HAS_DATASETS, project_log, task_logs

from entropi.data.extract import ExtractOptions, extract
from entropi.tasks import Task, load_tasks


@pytest.fixture(scope="session")
def suite() -> list[Task]:
    return load_tasks()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory, suite: list[Task]) -> dict[str, Any]:
    """Every scenario's logs, built once per test session."""
    root = tmp_path_factory.mktemp("corpus")
    return {"project": project_log(root / "project"), "tasks": task_logs(root / "tasks", suite)}


@pytest.fixture(scope="session")
def extracted(corpus, suite, tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("extracted") / "out"
    options = ExtractOptions(seed=1, hf_copy=HAS_DATASETS)
    report = extract([corpus["project"], *corpus["tasks"]], out, options, tasks=suite)
    return out, report
