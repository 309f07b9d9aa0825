"""Self-play and the reference solver write ordinary model logs with sources and checker outcomes."""

from __future__ import annotations

from pathlib import Path

from entropi.agent.scripted import ScriptedModel
from entropi.config import load_config
from entropi.modellog import ModelCallRecord, OutcomeRecord, iter_log
from entropi.selfplay import reference_model, selfplay
from entropi.tasks import load_tasks


def _config(tmp_path: Path):
    (tmp_path / ".entropi").mkdir()
    return load_config(tmp_path, env={}, home=tmp_path / "home")


def test_reference_solver_passes_and_logs_synthetic_records(tmp_path: Path):
    config = _config(tmp_path)
    log = tmp_path / "log"
    tasks = [t for t in load_tasks() if t.id in ("edit_clamp", "plan_json_export", "handoff_edit_greeting")]
    results = selfplay(
        tasks,
        runs=1,
        config=config,
        model_for=lambda t: reference_model(t, config, log),
        workdir=tmp_path / "runs",
    )
    assert [r.passed for r in results] == [True, True, True]
    assert all(r.first_tool == r.expected_first_tool for r in results)
    records = list(iter_log(log))
    calls = [r for r in records if isinstance(r, ModelCallRecord)]
    outcomes = [r for r in records if isinstance(r, OutcomeRecord)]
    assert calls and {c.source for c in calls} == {"synthetic"}
    assert calls[0].messages[0]["role"] == "system"
    assert [(o.signal, o.passed) for o in outcomes] == [("checker", True)] * 3
    assert {o.session_id for o in outcomes} == {r.session_id for r in results}


def test_a_failing_agent_run_is_logged_as_a_failed_checker_outcome(tmp_path: Path):
    config = _config(tmp_path)
    log = tmp_path / "log"
    task = next(t for t in load_tasks() if t.id == "edit_clamp")

    def model_for(_task):
        model = ScriptedModel(["I have no idea."], config=config, tier=task.tier, log_path=log)
        model.source = "selfplay"
        return model

    [result] = selfplay([task], runs=1, config=config, model_for=model_for, workdir=tmp_path / "runs")
    assert not result.passed and result.first_tool is None and result.stop_reason == "answer"
    records = list(iter_log(log))
    assert [r.source for r in records if isinstance(r, ModelCallRecord)] == ["selfplay"]
    [outcome] = [r for r in records if isinstance(r, OutcomeRecord)]
    assert outcome.passed is False and "edit_clamp" in outcome.detail
