"""The generator: deterministic, ≥ 1,000 distinct prompts per tier, valid golds, honest coordinates."""

from __future__ import annotations

from collections import Counter

import pytest
from synth_support import static_problems, tasks

from entropi.config.schema import TIERS
from entropi.synth import generate
from entropi.synth.exclusion import normalize
from entropi.synth.taxonomy import EDGE_SHARE, TIER_EDGES
from entropi.tasks.taxonomy import DIFFICULTIES, PHRASINGS, STEPS, WHAT

N = 1000


@pytest.mark.parametrize("tier", TIERS)
def test_a_thousand_distinct_prompts_per_tier(tier: str) -> None:
    generated = tasks(tier, N)
    assert len(generated) == N
    assert len({normalize(t.prompt) for t in generated}) == N
    assert len({t.id for t in generated}) == N


@pytest.mark.parametrize("tier", TIERS)
def test_same_seed_same_tasks_other_seed_other_tasks(tier: str) -> None:
    first = [t.model_dump() for t in generate(tier, 40, 7)]
    assert first == [t.model_dump() for t in generate(tier, 40, 7)]
    assert [t["prompt"] for t in first] != [t.prompt for t in generate(tier, 40, 8)]


@pytest.mark.parametrize("tier", TIERS)
def test_every_gold_is_statically_sound(tier: str) -> None:
    problems = [p for task in tasks(tier, N) for p in static_problems(task)]
    assert problems == []


@pytest.mark.parametrize("tier", TIERS)
def test_coordinates_cover_the_taxonomy(tier: str) -> None:
    generated = tasks(tier, N)
    coords = [t.coordinates() for t in generated]
    assert all(c is not None and c["tier"] == tier for c in coords)
    assert {c["what"] for c in coords} == set(WHAT[tier])
    assert {c["edge"] for c in coords} == {"none", *TIER_EDGES[tier]}
    phrasings = {c["phrasing"] for c in coords}
    assert phrasings == set(PHRASINGS) if tier != "simple" else phrasings <= set(PHRASINGS)
    if tier != "simple":
        assert {c["difficulty"] for c in coords} == set(DIFFICULTIES)
        assert {c["path"] for c in coords} == {"with_path", "no_path"}
    edges = Counter(c["edge"] for c in coords)
    assert abs((N - edges["none"]) / N - EDGE_SHARE) < 0.04


@pytest.mark.parametrize("tier", TIERS)
def test_difficulty_follows_the_number_of_gold_calls(tier: str) -> None:
    for task in tasks(tier, N):
        steps = len(task.gold.tool_calls)
        low, high = STEPS[task.tags.difficulty]
        assert steps == 0 or low <= steps <= high, (task.id, steps, task.tags.difficulty)
        assert steps <= 11, task.id  # the agent's default max_iterations is 12 model calls


def test_thinking_investigations_start_with_a_todo_list() -> None:
    for task in tasks("thinking", N):
        if task.tags.taxonomy.edge in ("none", "failing_tool", "odd_path", "short_input"):
            assert task.expected_first_tool == "entropi.todo_write", task.id
            assert any(c.get("todos_at_least") for c in task.model_dump()["checker"]), task.id


def test_edge_cases_without_a_tool_change_nothing() -> None:
    for tier in TIERS:
        for task in tasks(tier, N):
            edge = task.tags.taxonomy.edge
            if edge in ("no_tool", "ambiguous", "outside_path"):
                assert task.gold.tool_calls == [], task.id
                assert task.tags.edge_cases, task.id
            if edge == "ambiguous":
                assert "?" in task.gold.final_answer


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        generate("nope", 1)
    with pytest.raises(ValueError):
        generate("code", 1, -1)
    assert generate("code", 0) == []
