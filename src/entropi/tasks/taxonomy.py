"""The task taxonomy's vocabulary: what is asked (per tier) × how it is phrased × difficulty × edge case.

Every suite task and every generated task (`entropi.synth`) can carry its coordinates (`Coordinates`, in
`Tags.taxonomy`); the self-play runner writes them into the model log and the extractor counts its examples
per axis. The written taxonomy, with examples and the held-out split, is `docs/taxonomy.md`.
Non-goals: how often each value is drawn (the generator's policy: `entropi.synth.taxonomy`), building tasks.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

# What is asked, per tier. The thinking tier's investigation, plan and audit tasks start with a todo list.
WHAT: dict[str, tuple[str, ...]] = {
    "thinking": ("investigate", "plan", "audit"),
    "code": ("fix", "feature", "rename", "write_test", "config_edit", "commit"),
    "normal": ("explain", "find_definition", "find_callers", "git_history", "layout"),
    "simple": ("direct_answer", "lookup", "chat", "handoff"),
}
# How it is phrased: the sentence form and register, and whether the request names a file path.
PHRASINGS = ("imperative", "question", "terse", "verbose", "polite", "typos", "non_native")
PATHS = ("with_path", "no_path")
DIFFICULTIES = ("easy", "medium", "hard")
# Edge cases; "none" is the ordinary case.
EDGES = (
    "none",
    "no_tool",  # answerable without any tool: answer directly
    "ambiguous",  # the request cannot be done without guessing: ask a question back, change nothing
    "failing_tool",  # the first attempt fails (missing file, failing command), then the run recovers
    "odd_path",  # spaces, unicode, dashes or deep nesting in the paths involved
    "outside_path",  # asks for a file outside the project (or a secret): decline without a tool
    "short_input",  # a very short request, a few words
)
# Gold tool calls per difficulty (a task with no call is easy unless its builder says otherwise).
STEPS = {"easy": (0, 2), "medium": (3, 4), "hard": (5, 99)}

What = str
Phrasing = Literal["imperative", "question", "terse", "verbose", "polite", "typos", "non_native"]
PathMention = Literal["with_path", "no_path"]
Edge = Literal["none", "no_tool", "ambiguous", "failing_tool", "odd_path", "outside_path", "short_input"]


def difficulty_for(steps: int) -> str:
    """The difficulty a gold trajectory of `steps` tool calls has."""
    return next(name for name, (low, high) in STEPS.items() if low <= steps <= high)


class Coordinates(BaseModel):
    """A task's place in the taxonomy (its tier and difficulty are the task's own fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    what: What
    phrasing: Phrasing
    path: PathMention
    edge: Edge = "none"

    @model_validator(mode="after")
    def _known_what(self) -> Coordinates:
        known = {w for whats in WHAT.values() for w in whats}
        if self.what not in known:
            raise ValueError(f"unknown what {self.what!r}; known: {', '.join(sorted(known))}")
        return self

    def axes(self, tier: str, difficulty: str) -> dict[str, str]:
        """All coordinates as strings, as the model log and the extractor report carry them."""
        return {
            "tier": tier,
            "what": self.what,
            "phrasing": self.phrasing,
            "path": self.path,
            "difficulty": difficulty,
            "edge": self.edge,
        }
