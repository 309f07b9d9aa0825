"""Held-out honesty: no generated prompt equals or nearly equals an evaluation or task-suite prompt, and the
generated repos do not reuse their file names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from synth_support import exclusion, tasks

from entropi.config.schema import TIERS
from entropi.synth import generate, load_exclusion
from entropi.synth.exclusion import COMMON_FILES, THRESHOLD, eval_data_dir, jaccard, normalize, tokens
from entropi.tasks import load_tasks


def _held_out_prompts() -> list[str]:
    """Every held-out prompt, read independently of `load_exclusion`: the suite and any eval set there is."""
    prompts = [t.prompt for t in load_tasks()]
    for path in sorted(eval_data_dir().glob("*.jsonl")) if eval_data_dir().is_dir() else []:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and isinstance(record.get("input"), str):
                prompts.append(record["input"])
    return prompts


@pytest.mark.parametrize("tier", TIERS)
def test_generated_prompts_are_disjoint_from_held_out_prompts(tier: str) -> None:
    held = _held_out_prompts()
    assert len(held) >= 23  # the suite at least, whatever the eval directory holds
    held_norm = {normalize(p) for p in held}
    held_sets = [tokens(p) for p in held]
    for task in tasks(tier, 1000):
        assert normalize(task.prompt) not in held_norm, task.prompt
        words = tokens(task.prompt)
        close = [h for h, s in zip(held, held_sets, strict=True) if jaccard(words, s) >= THRESHOLD]
        assert close == [], (task.prompt, close)


@pytest.mark.parametrize("tier", TIERS)
def test_generated_repos_avoid_held_out_file_names(tier: str) -> None:
    reserved = exclusion().file_names
    assert reserved and not reserved & COMMON_FILES
    for task in tasks(tier, 1000):
        names = {path.rsplit("/", 1)[-1] for path in task.files}
        assert not names & reserved, (task.id, names & reserved)


def test_a_planted_eval_prompt_and_its_near_duplicates_are_never_generated(tmp_path: Path) -> None:
    plain = generate("simple", 200, 3, exclusion=load_exclusion(eval_dir=tmp_path / "none"))
    victims = [t.prompt for t in plain[:5]]
    (tmp_path / "cases.jsonl").write_text(
        "\n".join(json.dumps({"id": f"c{i}", "tier": "simple", "input": p.upper() + "!!"}) for i, p in
                  enumerate(victims))
        + "\nnot json\n",
        encoding="utf-8",
    )  # fmt: skip
    guarded = load_exclusion(eval_dir=tmp_path)
    assert all(guarded.too_close(p) for p in victims)
    regenerated = generate("simple", 200, 3, exclusion=guarded)
    assert not {normalize(p) for p in victims} & {normalize(t.prompt) for t in regenerated}
    assert all(guarded.too_close(t.prompt) is None for t in regenerated)


def test_near_duplicate_means_high_token_overlap() -> None:
    ex = load_exclusion(eval_dir=Path("/nonexistent"))
    assert (
        ex.too_close("Where is the function parse_duration defined??") is not None
    )  # suite prompt, reworded
    assert ex.too_close("WHAT does json stand for") is not None
    assert ex.too_close("What does HTTP stand for?") is None  # same template, different question
