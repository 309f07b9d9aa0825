"""`generate(tier, n, seed)`: curated training tasks from the taxonomy × parametrized repos, deterministic.

For each task: draw coordinates (`taxonomy.draw`), build a draft with a task-local rng (`builder`), render
the prompt in the drawn style (`phrasing.render`), drop it when its normalized prompt was already generated
or is too close to a held-out prompt (`exclusion`), and validate it as an ordinary `Task` (same model, same
checker kinds as the suite) carrying its coordinates in `tags.taxonomy`. The same (tier, n, seed, exclusion)
always gives the same tasks.
Non-goals: playing the tasks (`entropi.selfplay`), writing them (`output.py`).
"""

from __future__ import annotations

import random
from typing import Any

from entropi.config.schema import TIERS
from entropi.synth import phrasing
from entropi.synth.draft import Ctx, Draft
from entropi.synth.exclusion import Exclusion, load_exclusion, normalize
from entropi.synth.names import Namer
from entropi.synth.taxonomy import Draw, builder, draw
from entropi.tasks import Task
from entropi.tasks.taxonomy import Coordinates, difficulty_for

MAX_ATTEMPTS_PER_TASK = 30


class GenerationError(RuntimeError):
    """The generator could not produce the requested number of distinct, held-out-disjoint tasks."""


def generate(
    tier: str,
    n: int,
    seed: int = 0,
    *,
    exclusion: Exclusion | None = None,
    no_tool_share: float | None = None,
) -> list[Task]:
    """`n` distinct tasks of `tier` (see the module docstring); `exclusion` defaults to `load_exclusion()`;
    `no_tool_share` (None: the taxonomy's policy) is the share of `no_tool` edge draws (`taxonomy.draw`)."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; tiers are {', '.join(TIERS)}")
    if n < 0 or seed < 0:
        raise ValueError("n and seed must be >= 0")
    if no_tool_share is not None and not 0.0 <= no_tool_share <= 1.0:
        raise ValueError(f"no_tool_share must be within [0, 1], got {no_tool_share}")
    exclusion = exclusion if exclusion is not None else load_exclusion()
    rng = random.Random(f"entropi-synth:{seed}:{tier}")
    seen: set[str] = set()
    tasks: list[Task] = []
    attempts = 0
    while len(tasks) < n:
        attempts += 1
        if attempts > MAX_ATTEMPTS_PER_TASK * n + 100:
            raise GenerationError(
                f"{tier}: only {len(tasks)} of {n} distinct tasks after {attempts} attempts"
            )
        coords = draw(rng, tier, no_tool_share)
        local = random.Random(rng.getrandbits(64))
        draft = builder(tier, coords.what, coords.edge)(
            Ctx(
                tier,
                coords.what,
                coords.phrasing,
                coords.path,
                coords.difficulty,
                coords.edge,
                local,
                Namer(local, exclusion.file_names),
            )
        )
        style = "short" if coords.edge == "short_input" else (draft.phrasing or coords.phrasing)
        prompt = phrasing.render(style, draft.forms, local)
        key = normalize(prompt)
        if not key or key in seen or exclusion.too_close(prompt):
            continue
        seen.add(key)
        tasks.append(to_task(f"syn_s{seed}_{tier}_{len(tasks):05d}", tier, prompt, coords, draft))
    return tasks


def to_task(task_id: str, tier: str, prompt: str, coords: Draw, draft: Draft) -> Task:
    """The validated `Task` of a draft; its difficulty follows the gold's number of calls."""
    steps = len(draft.calls)
    difficulty = draft.difficulty if steps == 0 and draft.difficulty else difficulty_for(steps)
    taxonomy = Coordinates(
        what=coords.what,
        phrasing=draft.phrasing or coords.phrasing,
        path=draft.path or coords.path,
        edge=coords.edge,
    )
    data: dict[str, Any] = {
        "id": task_id,
        "tier": tier,
        "prompt": prompt,
        "expected_first_tool": draft.calls[0][0] if draft.calls else None,
        "tags": {
            "kind": draft.kind,
            "difficulty": difficulty,
            "edge_cases": [draft.edge_note] if draft.edge_note else [],
            "taxonomy": taxonomy,
        },
        "files": draft.files,
        "setup": draft.setup,
        "gold": {
            "tool_calls": [{"name": name, "arguments": args} for name, args in draft.calls],
            "final_answer": draft.answer,
        },
        "checker": draft.checker,
    }
    return Task.model_validate(data)
