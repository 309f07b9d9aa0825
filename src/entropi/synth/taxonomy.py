"""The generator's sampling policy over the taxonomy: which edge cases a tier gets, how often, and which
builders can honour them. The vocabulary itself (axes and values) is `entropi.tasks.taxonomy`.

About `EDGE_SHARE` (15 %) of the tasks are edge cases, spread evenly over the tier's edges; the rest are drawn
uniformly over the tier's whats (simple: weighted), phrasings, path mention and difficulty targets. With a
`no_tool_share` F, a tier that has the `no_tool` edge gets it for a fraction F of its tasks, and the other
1 - F are drawn as above from the tier's other edges (still `EDGE_SHARE` of them edge cases).
Non-goals: building tasks (the builders), the written taxonomy (`docs/taxonomy.md`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from entropi.synth import build_code, build_normal, build_simple, build_thinking, edges
from entropi.synth.draft import Ctx, Draft
from entropi.tasks.taxonomy import DIFFICULTIES, PHRASINGS, WHAT

EDGE_SHARE = 0.15
PATH_SHARE = 0.6  # share of requests that name a file path (when the task has one to name)
TIER_EDGES = {
    "thinking": ("no_tool", "ambiguous", "failing_tool", "odd_path", "outside_path", "short_input"),
    "code": ("no_tool", "ambiguous", "failing_tool", "odd_path", "outside_path", "short_input"),
    "normal": ("no_tool", "ambiguous", "failing_tool", "odd_path", "outside_path", "short_input"),
    "simple": ("ambiguous", "outside_path", "short_input"),
}
WHAT_WEIGHTS = {"simple": {"direct_answer": 4, "lookup": 4, "chat": 1, "handoff": 2}}
_TIER_MODULES = {
    "thinking": build_thinking,
    "code": build_code,
    "normal": build_normal,
    "simple": build_simple,
}


@dataclass(frozen=True)
class Draw:
    """One task's drawn coordinates (difficulty is a target; the task's label follows its gold)."""

    what: str
    phrasing: str
    path: str
    difficulty: str
    edge: str


def builder(tier: str, what: str, edge: str) -> Callable[[Ctx], Draft]:
    """The function that builds a task at these coordinates."""
    if edge in edges.BUILDERS:
        return edges.BUILDERS[edge]
    return _TIER_MODULES[tier].BUILDERS[what]


def draw(rng: random.Random, tier: str, no_tool_share: float | None = None) -> Draw:
    """Coordinates for one task of `tier`; `no_tool_share` (None: the policy above) forces that fraction of
    `no_tool` edge cases in tiers that have the edge."""
    edges_of = TIER_EDGES[tier]
    if no_tool_share is None or "no_tool" not in edges_of:
        edge = rng.choice(edges_of) if rng.random() < EDGE_SHARE else "none"
    elif rng.random() < no_tool_share:
        edge = "no_tool"
    else:
        others = tuple(e for e in edges_of if e != "no_tool")
        edge = rng.choice(others) if rng.random() < EDGE_SHARE else "none"
    whats = list(WHAT[tier])
    if edge not in ("none", *edges.BUILDERS):
        whats = [w for w in whats if edge in _TIER_MODULES[tier].EDGES[w]]
    weights = [WHAT_WEIGHTS.get(tier, {}).get(w, 1) for w in whats]
    what = rng.choices(whats, weights)[0]
    phrasing = "terse" if edge == "short_input" else rng.choice(PHRASINGS)
    path = "with_path" if rng.random() < PATH_SHARE else "no_path"
    return Draw(what, phrasing, path, rng.choice(DIFFICULTIES), edge)
