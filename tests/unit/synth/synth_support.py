"""Shared helpers for the synth tests: one generated set per (tier, n, seed), a static gold check."""

from __future__ import annotations

from functools import cache

from entropi.config.schema import TIERS
from entropi.synth import generate, load_exclusion
from entropi.tasks import Task

_TOOLS = None


@cache
def exclusion():
    return load_exclusion()


@cache
def tasks(tier: str, n: int, seed: int = 0) -> tuple[Task, ...]:
    return tuple(generate(tier, n, seed, exclusion=exclusion()))


def tier_tools() -> dict[str, set[str]]:
    from entropi.config import load_config

    global _TOOLS
    if _TOOLS is None:
        import tempfile
        from pathlib import Path

        root = Path(tempfile.mkdtemp(prefix="synth-config-"))
        (root / ".entropi").mkdir()
        config = load_config(root, env={}, home=root / "home")
        _TOOLS = {t: set(config.tiers[t].tools) for t in TIERS}
    return _TOOLS


def static_problems(task: Task) -> list[str]:
    """What would make the gold fail before any tool runs: a tool the current tier lacks, an edit of a
    file not read first, an edit whose old string does not occur exactly once, a duplicate call with
    nothing changed in between."""
    files = dict(task.files)
    for step in task.setup:
        if step.write is not None:
            files[step.write.path] = step.write.content
    tier, read, seen, problems = task.tier, set(), set(), []
    for index, call in enumerate(task.gold.tool_calls):
        where = f"{task.id} call {index} ({call.name})"
        if call.name not in tier_tools()[tier]:
            problems.append(f"{where}: not a {tier} tool")
        key = (call.name, repr(sorted(call.arguments.items())))
        if key in seen:
            problems.append(f"{where}: duplicate call")
        seen.add(key)
        path = call.arguments.get("path")
        if call.name == "filesystem.read_file":
            read.add(path)
        elif call.name == "filesystem.edit_file":
            text = files.get(path)
            if path not in read:
                problems.append(f"{where}: {path} edited before it was read")
            elif text is None or text.count(call.arguments["old_string"]) != 1:
                problems.append(f"{where}: old_string does not occur exactly once in {path}")
            else:
                files[path] = text.replace(call.arguments["old_string"], call.arguments["new_string"])
        elif call.name == "filesystem.write_file":
            files[path] = call.arguments["content"]
            read.add(path)
        if call.name in (
            "filesystem.edit_file",
            "filesystem.write_file",
            "bash.execute",
            "git.add",
            "git.commit",
        ):
            seen.clear()
        if call.name == "entropi.handoff":
            tier = call.arguments["tier"]
    return problems
