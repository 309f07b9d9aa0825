"""Phrasing styles, written task files, routing rows and the `entropi synth` command."""

from __future__ import annotations

import json
import random
from pathlib import Path

from entropi.cli import main
from entropi.synth import generate, read_tasks, router_row, write_router_rows, write_tasks
from entropi.synth.phrasing import Forms, render, with_typos
from entropi.tasks import load_tasks
from entropi.tasks.taxonomy import PHRASINGS

FORMS = Forms(
    ["Fix the bug in `clamp_speed` in fleet/ranges.py"],
    ["Why does `clamp_speed` return 0?"],
    ["clamp_speed broken, fix"],
    "fleetkit",
)


def test_every_style_renders_and_typos_spare_code_names_and_quotes() -> None:
    rng = random.Random(1)
    for style in PHRASINGS:
        text = render(style, FORMS, rng)
        assert text and "clamp_speed" in text, (style, text)
    for seed in range(50):
        text = with_typos(
            'Commit "Tidy the docs" for `limit_fuel` in fleet/ranges.py quickly', random.Random(seed)
        )
        assert '"Tidy the docs"' in text and "`limit_fuel`" in text and "fleet/ranges.py" in text


def test_yaml_and_jsonl_round_trip(tmp_path: Path) -> None:
    tasks = [*generate("code", 6, 2), *generate("normal", 6, 2)]
    folder = write_tasks(tasks, tmp_path / "yaml", "yaml")
    assert [t.model_dump() for t in load_tasks(folder)] == [
        t.model_dump() for t in sorted(tasks, key=lambda t: t.id)
    ]
    jsonl = write_tasks(tasks, tmp_path / "jsonl", "jsonl")
    assert [t.model_dump() for t in read_tasks(jsonl)] == [t.model_dump() for t in tasks]


def test_router_rows_label_handoffs_with_the_target_tier(tmp_path: Path) -> None:
    tasks = generate("simple", 300, 0)
    rows = [router_row(t) for t in tasks]
    handoffs = [r for r, t in zip(rows, tasks, strict=True) if t.expected_first_tool == "entropi.handoff"]
    assert handoffs and {r["expected_tier"] for r in handoffs} <= {"normal", "code"}
    assert {r["expected_tier"] for r in rows if r not in handoffs} == {"simple"}
    assert all(any(tag.startswith("what:") for tag in r["tags"]) for r in rows)
    assert write_router_rows(tasks, tmp_path / "router.jsonl") == 300


def test_cli_writes_tasks_router_rows_and_plays_them(tmp_path: Path, capsys) -> None:
    (tmp_path / "project" / ".entropi").mkdir(parents=True)
    out, router = tmp_path / "out", tmp_path / "router.jsonl"
    argv = ["--project", str(tmp_path / "project"), "synth", "--tier", "simple", "--n", "4", "--seed", "1"]
    assert main([*argv, "--out", str(out), "--router-out", str(router), "--play"]) == 0
    assert len(list((out / "tasks").glob("*.yaml"))) == 4
    assert len(router.read_text().splitlines()) == 4
    assert json.loads(router.read_text().splitlines()[0])["expected_tier"] in ("simple", "normal", "code")
    assert (out / "model.log").stat().st_size > 0
    assert "4/4 gold trajectories pass" in capsys.readouterr().out
    assert main(["synth", "--tier", "code", "--n", "0", "--out", str(out)]) == 2


def test_selfplay_plays_the_tasks_synth_wrote(tmp_path: Path, capsys) -> None:
    project = tmp_path / "project"
    (project / ".entropi").mkdir(parents=True)
    out = tmp_path / "out"
    common = ["--project", str(project)]
    assert main([*common, "synth", "--tier", "code", "--n", "3", "--format", "jsonl", "--out", str(out)]) == 0
    capsys.readouterr()
    argv = [*common, "selfplay", "--from", str(out), "--limit", "2", "--solver", "reference", "--json"]
    assert main(argv) == 0
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 2 and all(r["passed"] for r in results)
    written = {json.loads(line)["id"] for line in (out / "tasks.jsonl").open()}
    assert {r["task_id"] for r in results} <= written
    assert main([*common, "selfplay", "--from", str(tmp_path / "nowhere"), "--solver", "reference"]) == 2
    assert "no tasks.jsonl or tasks/" in capsys.readouterr().err
