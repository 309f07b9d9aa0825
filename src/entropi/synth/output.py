"""Writing generated tasks (YAML files `load_tasks` reads back, or JSON Lines) and labelled routing rows.

Router rows: `{"input": prompt, "expected_tier": tier, "tags": [...]}` per task; a simple-tier task whose
gold hands off is labelled with the tier it hands off to (that tier can do the job). Tags are `axis:value`
strings of the task's coordinates plus `task:<id>`.
Non-goals: generating (`generate.py`), playing (`entropi.selfplay`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from entropi.tasks import Task, load_task

FORMATS = ("yaml", "jsonl")


def task_data(task: Task) -> dict[str, Any]:
    """The task as plain data in the YAML task-file shape (unset single-key options left out)."""
    data = task.model_dump(mode="json")
    data["checker"] = [{k: v for k, v in item.items() if v is not None} for item in data["checker"]]
    data["setup"] = [{k: v for k, v in item.items() if v is not None} for item in data["setup"]]
    if data["tags"].get("taxonomy") is None:
        data["tags"].pop("taxonomy", None)
    if not data["setup"]:
        del data["setup"]
    return data


def write_tasks(tasks: Sequence[Task], out: Path, fmt: str = "yaml") -> Path:
    """`out/tasks/<id>.yaml` (a directory `load_tasks` reads) or `out/tasks.jsonl`; returns the path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        path = out / "tasks.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for task in tasks:
                f.write(json.dumps(task_data(task), ensure_ascii=False) + "\n")
        return path
    folder = out / "tasks"
    folder.mkdir(exist_ok=True)
    for task in tasks:
        text = yaml.safe_dump(task_data(task), sort_keys=False, allow_unicode=True, width=110)
        (folder / f"{task.id}.yaml").write_text(text, encoding="utf-8")
    return folder


def read_tasks(path: Path) -> list[Task]:
    """Tasks written by `write_tasks` (a `tasks/` directory or a `tasks.jsonl` file)."""
    if path.is_dir():
        return [load_task(p) for p in sorted(path.glob("*.yaml"))]
    with path.open(encoding="utf-8") as f:
        return [Task.model_validate(json.loads(line)) for line in f if line.strip()]


def router_tier(task: Task) -> str:
    """The tier a router should pick for the task's prompt."""
    first = task.gold.tool_calls[0] if task.gold.tool_calls else None
    if task.tier == "simple" and first is not None and first.name == "entropi.handoff":
        return str(first.arguments["tier"])
    return task.tier


def router_row(task: Task) -> dict[str, Any]:
    tags = [f"{axis}:{value}" for axis, value in (task.coordinates() or {}).items() if axis != "tier"]
    return {"input": task.prompt, "expected_tier": router_tier(task), "tags": [*tags, f"task:{task.id}"]}


def write_router_rows(tasks: Iterable[Task], path: Path) -> int:
    """One routing row per task as JSON Lines; returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as f:
        for task in tasks:
            f.write(json.dumps(router_row(task), ensure_ascii=False) + "\n")
            count += 1
    return count
