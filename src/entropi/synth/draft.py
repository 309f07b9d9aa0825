"""What a builder receives (`Ctx`: the drawn coordinates, the seeded rng, the namer) and returns (`Draft`: the
prompt cores, the repo, the gold calls and answer, the checker), plus the checker and todo helpers they share.

Non-goals: turning a draft into a `Task` (`generate.py`), drawing coordinates (`taxonomy.py`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from entropi.synth.names import Namer
from entropi.synth.phrasing import Forms
from entropi.synth.recipes import Func

Call = tuple[str, dict[str, Any]]
UNCHANGED: dict[str, Any] = {"command_succeeds": ["git", "diff", "--quiet", "HEAD"]}
TESTS_PASS: dict[str, Any] = {"command_succeeds": ["python", "-m", "unittest", "-q"]}
TEST_COMMAND = "python -m unittest -q"


@dataclass
class Ctx:
    """The coordinates a builder must honour and the seeded sources it draws from."""

    tier: str
    what: str
    phrasing: str
    path: str
    difficulty: str  # the target; the task's label is computed from the gold's number of calls
    edge: str
    rng: random.Random
    namer: Namer

    @property
    def mention(self) -> bool:
        return self.path == "with_path"

    def pick(self, *options: Any) -> Any:
        return self.rng.choice(options)


@dataclass
class Draft:
    """One task before validation; `generate.py` renders the prompt and builds the `Task`."""

    forms: Forms
    files: dict[str, str]
    calls: list[Call]
    answer: str
    checker: list[dict[str, Any]]
    kind: str
    setup: list[dict[str, Any]] = field(default_factory=list)
    edge_note: str | None = None
    difficulty: str | None = None  # for tasks without calls: the builder's judgement
    path: str | None = None  # overrides the drawn path mention when the request cannot honour it
    phrasing: str | None = None  # overrides the drawn style (the short-input edge case)


def call(name: str, **arguments: Any) -> Call:
    return name, arguments


def loc(ctx: Ctx, path: str, *, prefix: str = " in ") -> str:
    """` in <path>` when the request names paths, else ``."""
    return f"{prefix}{path}" if ctx.mention else ""


def asserts(import_name: str, func: Func, name: str | None = None) -> dict[str, Any]:
    """A checker command that imports the function (as `name`) and asserts every case."""
    name = name or func.name
    lines = [f"from {import_name} import {name}"]
    lines += [f"assert {name}({a}) == {e}, {name}({a})" for a, e in func.cases]
    return {"command_succeeds": ["python", "-c", "\n".join(lines) + "\n"]}


def contains(path: str, text: str) -> dict[str, Any]:
    return {"file_contains": {"path": path, "text": text}}


def lacks(path: str, text: str) -> dict[str, Any]:
    return {"file_not_contains": {"path": path, "text": text}}


def answer_has(*entries: str | list[str]) -> dict[str, Any]:
    return {"answer_contains": [e if isinstance(e, str) else list(e) for e in entries]}


def todo_add(*steps: str) -> Call:
    items = [
        {"id": str(i), "content": step, "status": "in_progress" if i == 1 else "pending"}
        for i, step in enumerate(steps, 1)
    ]
    return call("entropi.todo_write", action="add", items=items)


def todo_done(count: int) -> Call:
    items = [{"id": str(i), "status": "completed"} for i in range(1, count + 1)]
    return call("entropi.todo_write", action="update", items=items)


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]
