"""Routing rows generalize past one template per tier: the code tier asks for new code in many verbs and
shapes (functions, decorators, classes, CLI flags, project files, tests), the normal tier asks questions
about the codebase in many forms ("where is/are ...", "what does ...", "how is ..."), the simple tier has
praise and acknowledgements; and the golds of those new forms pass their checkers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from synth_support import tasks

from entropi.synth.output import router_row

N = 1000
CREATION_VERBS = {"write", "implement", "create", "add", "build", "generate", "make", "scaffold", "define"}


def _rows(tier: str) -> list[dict]:
    return [router_row(t) for t in tasks(tier, N)]


def test_code_rows_ask_for_new_code_with_many_imperative_verbs() -> None:
    rows = [r for r in _rows("code") if r["expected_tier"] == "code"]
    leads = {r["input"].split()[0].lower() for r in rows if "phrasing:imperative" in r["tags"]}
    assert {"write", "implement", "create", "add"} <= leads
    assert len(leads & CREATION_VERBS - {"write"}) >= 6, leads
    assert {"rename", "fix"} <= leads
    text = "\n".join(r["input"] for r in rows)
    for thing in ("decorator", "class `", "Makefile", "Dockerfile", "pyproject.toml", ".github/workflows/"):
        assert thing in text, thing
    assert re.search(r"`--[a-z]+", text)  # a command-line flag to add


def test_normal_rows_ask_where_what_does_and_how_is_questions() -> None:
    asked = [r["input"].lower() for r in _rows("normal") if r["expected_tier"] == "normal"]

    def some(pattern: str) -> bool:
        return any(re.match(pattern, q) for q in asked)

    assert some(r"where is ")
    assert some(r"where (are|do|is) .*\bregistered\b") or some(r".*\bregistered\b.*\?")
    assert some(r"where is `?\w+`? configured")
    assert some(r"what does `?\w+`?.* return")
    assert some(r"what does (the )?`--\w+")  # an option of a command
    assert some(r".*`\w+\.\w+(\(\))?`.*(return|do)")  # a method of a class
    assert some(r"how is ")
    assert some(r"which module ")
    assert some(r"explain ")


def test_simple_rows_include_praise_and_acknowledgements() -> None:
    said = [r["input"].lower() for r in _rows("simple") if r["expected_tier"] == "simple"]
    acks = (
        "great job",
        "good job",
        "nice job",
        "perfect",
        "cheers",
        "well done",
        "thanks a lot",
        "appreciate",
    )
    assert sum(any(s.startswith(a) for a in acks) for s in said) >= 5


def _new_forms() -> list:
    """Two tasks of each new request shape whose gold the reference solver must pass."""
    shapes = {
        "decorator": lambda t: "the decorator `" in t.gold.final_answer,
        "class": lambda t: "the class `" in t.gold.final_answer,
        "cli_flag": lambda t: t.gold.final_answer.startswith("Added `--"),
        "project_file": lambda t: t.tier == "code" and t.gold.final_answer.startswith("Created "),
        "flag_question": lambda t: t.gold.final_answer.startswith("`--"),
        "method_question": lambda t: "()` (in " in t.gold.final_answer,
        "registry_question": lambda t: " are registered in " in t.gold.final_answer,
        "setting_question": lambda t: " is configured in " in t.gold.final_answer,
    }
    pool = [*tasks("code", N), *tasks("normal", N)]
    picked = []
    for shape, match in shapes.items():
        found = [t for t in pool if match(t)][:2]
        assert len(found) == 2, shape
        picked += found
    return picked


@pytest.mark.slow
def test_the_new_request_shapes_pass_their_checkers_through_the_agent_loop(tmp_path: Path) -> None:
    from entropi.config import load_config
    from entropi.selfplay import reference_model, selfplay

    (tmp_path / ".entropi").mkdir()
    config = load_config(tmp_path, env={}, home=tmp_path / "home")
    log = tmp_path / "model.log"
    chosen = _new_forms()
    results = selfplay(
        chosen,
        runs=1,
        config=config,
        model_for=lambda t: reference_model(t, config, log),
        workdir=tmp_path / "runs",
    )
    assert [(r.task_id, r.detail) for r in results if not r.passed] == []
    assert all(r.first_tool == r.expected_first_tool for r in results)
