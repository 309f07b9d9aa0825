"""Gold assistant turns for the task suite: reasoning that names the next tool, then exactly that call.

Used as DPO `chosen` (source `gold`) and by anything that plays a task's gold trajectory (a reference solver,
tests): `gold_outputs(task)` gives the raw model outputs of the whole trajectory in entropi's own syntax.
Every gold reasoning states its call so the coherence extractor judges it coherent (tested over the suite).
Non-goals: solving tasks that have no gold solution, paraphrasing (one fixed sentence per tool).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from entropi.inference.output_parser import THINK_CLOSE, THINK_OPEN, render_tool_call
from entropi.tasks import GoldCall, Task

ANSWER_REASONING = "I have what I need, so I'll answer directly without another tool."


def _q(value: Any) -> str:
    return f"`{value}`"


def gold_reasoning(name: str, arguments: Mapping[str, Any]) -> str:
    """One sentence that states the call: the tool's name, what it does and its key argument."""
    path = arguments.get("path")
    where = f" in {_q(path)}" if path else ""
    described = {
        "filesystem.read_file": lambda: f"read {_q(path)}",
        "filesystem.write_file": lambda: f"write the file {_q(path)}",
        "filesystem.edit_file": lambda: f"edit {_q(path)}",
        "filesystem.list_directory": lambda: "list the files" + where,
        "filesystem.glob": lambda: f"find the files matching {_q(arguments.get('pattern'))}",
        "filesystem.grep": lambda: f"grep for {_q(arguments.get('pattern'))}" + where,
        "bash.execute": lambda: f"run {_q(arguments.get('command'))}",
        "git.status": lambda: "check git status",
        "git.diff": lambda: "look at the diff" + where,
        "git.log": lambda: "read the commit history",
        "git.add": lambda: "stage the changes",
        "git.commit": lambda: "commit the staged changes",
        "entropi.todo_write": lambda: "make a todo list",
        "entropi.handoff": lambda: f"hand off to the {arguments.get('tier')} tier",
    }.get(name)
    return f"I'll use {name} to {described()}." if described else f"I'll call {name}."


def gold_message(call: GoldCall | None, final_answer: str = "") -> dict[str, Any]:
    """The gold assistant message (entropi's internal shape, arguments as a dict) for a call or the answer."""
    if call is None:
        return {"role": "assistant", "content": final_answer, "reasoning_content": ANSWER_REASONING}
    return {
        "role": "assistant",
        "content": "",
        "reasoning_content": gold_reasoning(call.name, call.arguments),
        "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
        ],
    }


def gold_step(task: Task, done: list[tuple[str, str]]) -> dict[str, Any] | None:
    """The gold message after the calls `done` ((name, canonical JSON arguments) in order), or None when
    `done` is not a prefix of the gold trajectory."""
    calls = task.gold.tool_calls
    if len(done) > len(calls) or done != [(c.name, canonical(c.arguments)) for c in calls[: len(done)]]:
        return None
    if len(done) == len(calls):
        return gold_message(None, task.gold.final_answer)
    return gold_message(calls[len(done)])


def canonical(arguments: Mapping[str, Any]) -> str:
    """Arguments as canonical JSON (sorted keys), for comparing calls."""
    return json.dumps(arguments, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def gold_outputs(task: Task) -> list[str]:
    """The raw model outputs of the task's whole gold trajectory: one per call, then the final answer."""
    out = []
    for call in task.gold.tool_calls:
        reasoning = gold_reasoning(call.name, call.arguments)
        out.append(
            f"{THINK_OPEN}\n{reasoning}\n{THINK_CLOSE}\n\n{render_tool_call(call.name, call.arguments)}"
        )
    out.append(f"{THINK_OPEN}\n{ANSWER_REASONING}\n{THINK_CLOSE}\n\n{task.gold.final_answer}")
    return out
