"""Self-play over the task suite: bootstrapping training data without a big model.

Each run materialises a task's throwaway git repo, runs the real agent loop headless on it (tools confined
to that repo, approvals granted: nothing outside it can be touched), checks the result with the task's
checker, and writes everything to the ordinary model log: model calls, tool results, and an ``outcome``
record with the checker's verdict, the task's id and its taxonomy coordinates (the extractor counts its
coverage from them). Two solvers: ``agent`` (the configured model; records marked ``source: selfplay``) and
``reference`` (the task's gold trajectory played through the same loop by the scripted model: reasoning that
names the next tool, then exactly that call; ``source: synthetic``).
Non-goals: scoring and A/B (evaluation).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from entropi.agent.model import ModelClient
from entropi.agent.permissions import HeadlessApprover
from entropi.agent.scripted import ScriptedModel
from entropi.agent.session import AgentSession
from entropi.agent.session_store import SESSIONS_FILE, SessionStore
from entropi.config.schema import EntropiConfig
from entropi.data.gold import gold_outputs
from entropi.modellog import OutcomeRecord, TaskInfo
from entropi.tasks import Task

SOLVERS = ("agent", "reference")


@dataclass(frozen=True)
class RunResult:
    """One task run: what the agent did and whether the checker passed."""

    task_id: str
    run: int
    tier: str
    session_id: str
    stop_reason: str
    first_tool: str | None
    expected_first_tool: str | None
    passed: bool
    detail: str
    model_calls: int
    tool_calls: int


def reference_model(task: Task, config: EntropiConfig, log_path: Path | None) -> ScriptedModel:
    """The reference solver: the task's gold trajectory as scripted model outputs."""
    model = ScriptedModel(gold_outputs(task), config=config, tier=task.tier, log_path=log_path)
    model.source = "synthetic"
    return model


def run_task(task: Task, run: int, model: ModelClient, config: EntropiConfig, workdir: Path) -> RunResult:
    """Play one task once in a fresh repo under ``workdir`` and log the checker's verdict."""
    repo = task.materialize(workdir / f"{task.id}-{run}")
    store = SessionStore(repo / SESSIONS_FILE)
    session = AgentSession(
        config, repo, model, approver=HeadlessApprover(True), store=store, title=f"selfplay {task.id}#{run}"
    )
    try:
        outcome = session.ask(task.prompt, tier=task.tier)
        check = task.check(repo, outcome.answer, todos=session.tool_ctx.todos.to_list())
    finally:
        session.close()
    if model.log.enabled:
        model.log.append(
            OutcomeRecord(
                session_id=session.session_id,
                turn_index=0,
                signal="checker",
                passed=check.passed,
                detail=f"task {task.id}: {check.detail}"[:2000],
                task=TaskInfo(id=task.id, coordinates=task.coordinates() or {}),
            )
        )
    first = outcome.tool_calls[0]["name"] if outcome.tool_calls else None
    return RunResult(
        task.id,
        run,
        outcome.tier,
        session.session_id,
        outcome.stop_reason,
        first,
        task.expected_first_tool,
        check.passed,
        check.detail,
        len(outcome.model_calls),
        len(outcome.tool_calls),
    )


def selfplay(
    tasks: Iterable[Task],
    *,
    runs: int,
    config: EntropiConfig,
    model_for: Callable[[Task], ModelClient],
    workdir: Path | None = None,
    on_result: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run every task ``runs`` times; repos live in ``workdir`` (a temp dir, removed, when None)."""
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="entropi-selfplay-") as tmp:
        base = Path(workdir) if workdir is not None else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        for task in tasks:
            for run in range(runs):
                result = run_task(task, run, model_for(task), config, base)
                results.append(result)
                if on_result is not None:
                    on_result(result)
    return results
