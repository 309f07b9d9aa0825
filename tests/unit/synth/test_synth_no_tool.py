"""The no_tool edge: its question table (unique, answers contain their checked word, none close to a held-out
prompt) and the `no_tool_share` knob (the share is honoured per tier, deterministic in the seed)."""

from __future__ import annotations

from collections import Counter

import pytest
from synth_support import exclusion

from entropi.synth import facts, generate
from entropi.synth.exclusion import normalize
from entropi.synth.facts_general import GENERAL
from entropi.synth.taxonomy import TIER_EDGES

N = 600


def _edges(tier: str, share: float | None, seed: int = 0, n: int = N) -> Counter[str]:
    return Counter(
        t.tags.taxonomy.edge for t in generate(tier, n, seed, exclusion=exclusion(), no_tool_share=share)
    )


def test_concepts_are_many_unique_and_answers_hold_their_word() -> None:
    assert len(facts.CONCEPTS) >= 150
    assert len({normalize(q) for q, _, _ in facts.CONCEPTS}) == len(facts.CONCEPTS)
    for question, answer, must in facts.CONCEPTS:
        assert question == question.strip() and not question.endswith("?"), question
        assert question[0].isupper() and question[1:2].islower(), question  # lowered in the templates
        assert " ".join(must.split()).casefold() in " ".join(answer.split()).casefold(), (question, must)
        assert len(answer) <= 200, question  # short: one or two sentences


def test_general_questions_pass_the_held_out_exclusion() -> None:
    held = exclusion()
    close = [(q, held.too_close(q)) for q, _, _ in GENERAL if held.too_close(q)]
    assert close == []


@pytest.mark.parametrize("tier", [t for t, edges in TIER_EDGES.items() if "no_tool" in edges])
def test_no_tool_share_is_honoured(tier: str) -> None:
    edges = _edges(tier, 0.3)
    assert abs(edges["no_tool"] / N - 0.3) < 0.05, edges
    others = sum(v for k, v in edges.items() if k not in ("none", "no_tool"))
    assert others > 0  # the rest are still drawn from the tier's other edges
    assert _edges(tier, 0.0)["no_tool"] == 0
    assert _edges(tier, 1.0, n=100) == Counter({"no_tool": 100})


def test_default_policy_is_unchanged_and_the_share_is_deterministic() -> None:
    plain = [t.model_dump() for t in generate("thinking", 80, 5, exclusion=exclusion())]
    assert plain == [
        t.model_dump() for t in generate("thinking", 80, 5, exclusion=exclusion(), no_tool_share=None)
    ]
    first = [t.model_dump() for t in generate("code", 80, 5, exclusion=exclusion(), no_tool_share=0.15)]
    again = [t.model_dump() for t in generate("code", 80, 5, exclusion=exclusion(), no_tool_share=0.15)]
    assert first == again
    assert _edges("thinking", None)["no_tool"] < 0.06 * N  # the policy's ~2.5 %


def test_tiers_without_the_edge_ignore_the_share() -> None:
    assert "no_tool" not in TIER_EDGES["simple"]
    plain = [t.model_dump() for t in generate("simple", 60, 2, exclusion=exclusion())]
    shared = [t.model_dump() for t in generate("simple", 60, 2, exclusion=exclusion(), no_tool_share=0.5)]
    assert plain == shared


def test_no_tool_tasks_answer_from_many_questions_without_a_tool() -> None:
    tasks = generate("thinking", 300, 0, exclusion=exclusion(), no_tool_share=0.5)
    no_tool = [t for t in tasks if t.tags.taxonomy.edge == "no_tool"]
    assert all(t.gold.tool_calls == [] and t.expected_first_tool is None for t in no_tool)
    answers = Counter(t.gold.final_answer for t in no_tool)
    assert len(answers) >= 0.6 * len(no_tool), answers.most_common(3)  # few repeats of one question


def test_a_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="no_tool_share"):
        generate("code", 5, 0, exclusion=exclusion(), no_tool_share=1.5)
