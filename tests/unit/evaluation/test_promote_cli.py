"""`entropi adapters promote | rollback` with an injected evaluator and chat loss (no model): the gate
decides, refusals name the failed gates (exit 1), `--force` is recorded, the verdict lands in the manifest."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from entropi import cli
from entropi.commands import adapters
from entropi.config import load_config
from entropi.evaluation import promotion
from entropi.evaluation.cases import EvalCase
from entropi.evaluation.results import CallResult, CaseResult
from entropi.training import registry

N_CASES = 24
READ = "filesystem.read_file"


def _case_line(i: int) -> str:
    case = {
        "id": f"c{i}",
        "tier": "code",
        "input": f"Show me src/app/mod{i}.py",
        "expected_tool": READ,
        "expected_args": {"path": f"src/app/mod{i}.py"},
    }
    return json.dumps(case)


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")
    for version in ("v0001", "v0002"):
        folder = tmp_path / "lora_adapters" / "code" / version
        folder.mkdir(parents=True)
        (folder / "adapter.gguf").write_bytes(b"GGUF")
        registry.write_manifest(folder, {"version": version, "metrics": {"training": {"sft": {"steps": 1}}}})
    lines = ["// code cases", *(_case_line(i) for i in range(N_CASES))]
    lines.append(json.dumps({"id": "r1", "expected_tier": "code", "input": "edit a file"}))  # router: ignored
    lines.append(json.dumps({"id": "n1", "tier": "normal", "input": "what is x?"}))  # other tier: ignored
    (tmp_path / "cases.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


class FakeEvaluator:
    """Plays back results: each label gets the share of correct first calls its quality says."""

    def __init__(self, quality: dict[str, float]) -> None:
        self.quality = quality
        self.calls: list[dict[str, Any]] = []

    def __call__(self, config, project_root, cases, variants) -> dict[str, list[CaseResult]]:
        self.calls.append({"cases": [c.id for c in cases], "variants": dict(variants)})
        return {label: [self._result(c, label, i) for i, c in enumerate(cases)] for label in variants}

    def _result(self, case: EvalCase, label: str, index: int) -> CaseResult:
        good = index < round(self.quality[label] * len(self.calls[-1]["cases"]))
        name = READ if good else "filesystem.glob"
        arguments = case.expected_args if good else {"pattern": "*.py"}
        return CaseResult(
            case_id=case.id,
            variant=label,
            kind="model",
            tier=case.tier,
            tool_names=[READ, "filesystem.glob"],
            calls=[CallResult(name=name, arguments=arguments)],
        )


def fake_chat_loss(losses: dict[str, float]):
    seen: list[tuple[str, dict]] = []

    def run(config, project_root, tier, variants, conversations):
        assert conversations, "the shipped general-chat set is used by default"
        seen.append((tier, dict(variants)))
        return {label: losses[label] for label in variants}

    run.seen = seen  # type: ignore[attr-defined]
    return run


def _args(project: Path, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="entropi")
    adapters.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["adapters", *argv])
    args.project_root = project
    return args


def _promote(project: Path, *argv: str, quality: dict[str, float], losses: dict[str, float]) -> int:
    args = _args(project, "promote", *argv)
    return adapters.cmd_promote(args, evaluator=FakeEvaluator(quality), chat_loss=fake_chat_loss(losses))


def _out(capsys) -> str:
    return " ".join(capsys.readouterr().out.split())


def _manifest(project: Path, version: str) -> dict[str, Any]:
    return json.loads((project / "lora_adapters" / "code" / version / "manifest.json").read_text())


def test_a_candidate_that_beats_the_base_is_promoted(project: Path, capsys):
    evaluator = FakeEvaluator({"v0001": 1.0, "base": 0.5})
    losses = fake_chat_loss({"v0001": 2.0, "base": 2.0})
    args = _args(project, "promote", "code", "v1", "--cases", str(project / "cases.jsonl"))
    assert adapters.cmd_promote(args, evaluator=evaluator, chat_loss=losses) == 0
    root = project / "lora_adapters"
    assert registry.current_version(root, "code") == "v0001"
    (call,) = evaluator.calls
    assert call["variants"] == {"v0001": root / "code" / "v0001", "base": None}, "no current: the base"
    assert call["cases"] == [f"c{i}" for i in range(N_CASES)], "only the tier's model cases"
    assert losses.seen == [("code", call["variants"])]
    out = _out(capsys)
    assert "promotion gate: code v0001 vs base" in out and "FAIL" not in out
    assert "code v0001 is now current (was base)" in out
    evaluation = _manifest(project, "v0001")["metrics"]["evaluation"]
    assert evaluation["validity"] == 1.0 and evaluation["selection"] == 1.0 and evaluation["chat_loss"] == 2.0
    assert (
        evaluation["accepted"] is True and evaluation["baseline"] == "base" and evaluation["cases"] == N_CASES
    )
    assert _manifest(project, "v0001")["metrics"]["training"] == {"sft": {"steps": 1}}, "training kept"
    folder = root / "code" / "v0001" / "evaluation"
    names = {p.name for p in folder.iterdir()}
    assert {"v0001.results.jsonl", "base.results.jsonl", "gate.json", "compare.json", "report.html"} <= names
    assert names <= {
        "v0001.results.jsonl",
        "base.results.jsonl",
        "gate.json",
        "compare.json",
        "report.html",
    } | {"compare.png"}
    assert "v0001" in (folder / "report.html").read_text() and json.loads(
        (folder / "compare.json").read_text()
    )
    assert json.loads((folder / "gate.json").read_text())["promoted"] is True
    (event,) = registry.history(root, "code")
    assert event["version"] == "v0001" and event["previous"] is None and event["gate"]["accepted"] is True


def test_a_refused_candidate_names_the_failed_gates_and_current_stays(project: Path, capsys):
    root = project / "lora_adapters"
    registry.promote(root, "code", "v0001")
    cases = str(project / "cases.jsonl")
    quality, losses = {"v0002": 0.75, "v0001": 1.0}, {"v0002": 2.5, "v0001": 2.0}
    assert _promote(project, "code", "v0002", "--cases", cases, quality=quality, losses=losses) == 1
    assert registry.current_version(root, "code") == "v0001"
    out = _out(capsys)
    assert "code v0002 vs v0001" in out
    assert "refused by 2 gate(s)" in out and "selection: 0.750 < 0.95 (18/24" in out
    assert "chat_loss: 2.5000 vs 2.0000 nats/token: +25.0% > +5.0%" in out
    assert "not promoted: code current stays v0001" in out
    evaluation = _manifest(project, "v0002")["metrics"]["evaluation"]
    assert evaluation["accepted"] is False and evaluation["failed_gates"] == ["selection", "chat_loss"]
    assert [e["version"] for e in registry.history(root, "code")] == ["v0001"], "nothing recorded"


def test_force_promotes_a_refused_candidate_and_records_it(project: Path, capsys):
    root = project / "lora_adapters"
    registry.promote(root, "code", "v0001")
    cases = str(project / "cases.jsonl")
    quality, losses = {"v0002": 0.5, "v0001": 1.0}, {"v0002": 2.0, "v0001": 2.0}
    assert (
        _promote(project, "code", "v0002", "--force", "--cases", cases, quality=quality, losses=losses) == 0
    )
    assert registry.current_version(root, "code") == "v0002"
    assert "promoted by --force despite the failed gate(s)" in _out(capsys)
    event = registry.history(root, "code")[-1]
    assert event["forced"] is True and event["gate"] == {"accepted": False, "failed": ["selection"]}
    assert _manifest(project, "v0002")["metrics"]["evaluation"]["forced"] is True

    assert adapters.cmd_rollback(_args(project, "rollback", "code")) == 0
    assert registry.current_version(root, "code") == "v0001"
    assert "code: current v0002 -> v0001" in _out(capsys)
    assert adapters.cmd_rollback(_args(project, "rollback", "code")) == 0
    assert registry.current_version(root, "code") is None
    assert "none (the tier runs on the base model)" in _out(capsys)


def test_adapters_list_shows_the_gate_numbers(project: Path, capsys):
    cases = str(project / "cases.jsonl")
    quality, losses = {"v0001": 1.0, "base": 0.5}, {"v0001": 2.0, "base": 2.0}
    assert _promote(project, "code", "v0001", "--cases", cases, quality=quality, losses=losses) == 0
    capsys.readouterr()
    assert adapters.cmd_list(_args(project, "list", "--tier", "code")) == 0
    assert "validity 1, selection 1, chat_loss 2" in _out(capsys)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["code", "v0009"], "no adapter version"),
        (["code", "v0001", "--cases", "missing.jsonl"], "cannot read case file"),
        (["normal", "v0001", "--cases", "CASES"], "no adapter version"),
    ],
)
def test_bad_requests_are_one_line_errors(project: Path, argv: list[str], message: str):
    argv = [str(project / "cases.jsonl") if a == "CASES" else a for a in argv]
    with pytest.raises(adapters.CommandError, match=message):
        _promote(project, *argv, quality={}, losses={})


def test_the_current_version_cannot_be_promoted_again(project: Path):
    registry.promote(project / "lora_adapters", "code", "v0001")
    with pytest.raises(adapters.CommandError, match="already current"):
        _promote(project, "code", "v0001", "--cases", str(project / "cases.jsonl"), quality={}, losses={})


def test_through_the_main_cli_exit_codes_are_0_1_2(project: Path, monkeypatch, capsys):
    monkeypatch.setattr(promotion, "_default_evaluator", lambda: FakeEvaluator({"v0001": 0.5, "base": 0.5}))
    monkeypatch.setattr(promotion, "_default_chat_loss", lambda: fake_chat_loss({"v0001": 1.0, "base": 1.0}))
    base = ["--project", str(project), "adapters"]
    cases = ["--cases", str(project / "cases.jsonl")]
    assert cli.main([*base, "promote", "code", "v0001", *cases]) == 1
    assert cli.main([*base, "rollback", "code"]) == 2
    assert "no current adapter to roll back" in " ".join(capsys.readouterr().err.split())
    assert cli.main([*base, "promote", "code", "v0001", "--force", *cases]) == 0


def test_default_cases_are_the_shipped_tier_cases_plus_configured_files(project: Path):
    extra = project / ".entropi" / "more.jsonl"
    extra.parent.mkdir()
    extra.write_text(_case_line(99) + "\n")
    (project / ".entropi" / "config.yaml").write_text("evaluation:\n  cases: [more.jsonl]\n")
    config = load_config(project, env={}, home=project / "home")
    cases = promotion.gate_cases(config, "code")
    assert cases[-1].id == "c99" and len(cases) > 30
    assert all(c.tier == "code" and c.kind in ("model", "task") for c in cases)
    with pytest.raises(promotion.PromotionError, match="no simple cases"):
        promotion.gate_cases(config, "simple", [extra])


def test_the_base_measured_before_training_is_reused_not_run_again(project: Path, capsys):
    """fine_tune keeps the bare base's results in <version>/baseline/; the gate runs only the candidate."""
    from entropi.evaluation.cases import load_cases
    from entropi.evaluation.results import write_results

    cases = [c for c in load_cases([project / "cases.jsonl"]) if c.tier == "code" and c.kind == "model"]
    base_rows = FakeEvaluator({"base": 0.5})(None, None, cases, {"base": None})["base"]
    folder = project / "lora_adapters" / "code" / "v0001"
    write_results(folder / promotion.BASELINE_DIR / promotion.BASELINE_RESULTS, base_rows)
    evaluator = FakeEvaluator({"v0001": 1.0})
    args = _args(project, "promote", "code", "v1", "--cases", str(project / "cases.jsonl"))
    assert (
        adapters.cmd_promote(args, evaluator=evaluator, chat_loss=fake_chat_loss({"v0001": 2.0, "base": 2.0}))
        == 0
    )
    (call,) = evaluator.calls
    assert call["variants"] == {"v0001": folder}, "the base was not evaluated again"
    assert (folder / "evaluation" / "base.results.jsonl").read_text().count("\n") == N_CASES


def test_baseline_results_for_other_cases_are_not_reused(project: Path):
    from entropi.evaluation.cases import load_cases
    from entropi.evaluation.results import write_results

    cases = [c for c in load_cases([project / "cases.jsonl"]) if c.tier == "code" and c.kind == "model"]
    folder = project / "lora_adapters" / "code" / "v0001"
    rows = FakeEvaluator({"base": 0.5})(None, None, cases[:-1], {"base": None})["base"]
    write_results(folder / promotion.BASELINE_DIR / promotion.BASELINE_RESULTS, rows)
    assert promotion.baseline_results(folder, cases) == {}
    (folder / promotion.BASELINE_DIR / promotion.BASELINE_RESULTS).write_text("not json\n")
    assert promotion.baseline_results(folder, cases) == {}
    assert promotion.baseline_results(folder, cases[:-1]) == {}
