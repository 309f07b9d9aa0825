"""The eval runner against a scripted model: model, router and task cases; variants; failures; the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entropi.agent.scripted import ScriptedModel
from entropi.config import load_config
from entropi.evaluation import cli
from entropi.evaluation.cases import EvalCase, task_cases
from entropi.evaluation.runner import Evaluator, RunOptions, Variant
from entropi.inference.output_parser import render_tool_call

TODO = render_tool_call(
    "entropi.todo_write", {"action": "add", "items": [{"id": "1", "content": "find the cause"}]}
)
BASH = render_tool_call("bash.execute", {"command": "pytest -x"})


@pytest.fixture
def config(tmp_path: Path):
    return load_config(tmp_path, env={}, home=tmp_path / "home")


def _model(config, script) -> ScriptedModel:
    return ScriptedModel(script, config=config, tier="thinking")


CASES = [
    EvalCase(
        id="inv",
        tier="thinking",
        expected_tier="thinking",
        input="investigate why checkout totals drift",
        expected_tool="entropi.todo_write",
    ),
    EvalCase(id="chat", tier="simple", input="hi there", expected_no_tool=True),
    EvalCase(id="route-only", expected_tier="simple", input="thanks!"),
]


def test_variants_see_their_own_slots_and_results_carry_calls_and_validity(config):
    seen = []

    def script(tier, messages):
        seen.append(model.current_slot)
        if tier == "simple":
            return "Hello! How can I help?"
        good = model.current_slot.endswith("@B")
        return f"<think>I'll call entropi.todo_write to plan.</think>{TODO if good else BASH}"

    model = _model(config, script)
    evaluator = Evaluator(model, [Variant("A"), Variant("B", {"thinking": Path("/x/adapter.gguf")})])
    assert model.variants["thinking@B"] == Path("/x/adapter.gguf")
    assert model.variants["thinking@A"] is None
    results = evaluator.run(CASES)
    assert seen == ["thinking@A", "thinking@B", "simple@A", "simple@B"]  # interleaved per case
    a, b = (results[k][0] for k in ("A", "B"))
    assert a.calls[0].name == "bash.execute" and a.calls[0].problem is None
    assert b.calls[0].name == "entropi.todo_write" and b.thinking.startswith("I'll call")
    assert a.routed_tier == "thinking" and a.tool_names[0] == "filesystem.read_file"
    router = results["A"][2]
    assert router.kind == "router" and router.routed_tier == "thinking" and router.raw_output == ""


def test_own_tools_unknown_tools_and_malformed_output_are_recorded(config):
    tool = {"name": "weather.lookup", "parameters": {"type": "object", "required": ["city"]}}
    outputs = iter(
        [
            render_tool_call("weather.lookup", {}),
            render_tool_call("filesystem.write_file", {"path": "a", "content": "b"}),
            '<tool_call>\n{"name": "bash.execute", "arguments": \n</tool_call>',
        ]
    )
    model = _model(config, lambda tier, messages: next(outputs))
    cases = [
        EvalCase(
            id="own", tier="normal", input="weather in Oslo?", tools=[tool], expected_tool="weather.lookup"
        ),
        EvalCase(id="not-allowed", tier="normal", input="write a file", expected_no_tool=True),
        EvalCase(id="broken", tier="normal", input="run it", expected_no_tool=True),
    ]
    own, not_allowed, broken = Evaluator(model, [Variant("A")]).run(cases)["A"]
    assert own.tool_names == ["weather.lookup"] and own.calls[0].problem == "schema_violation"
    assert not_allowed.calls[0].problem == "tool_not_allowed"
    assert broken.calls == [] and broken.malformed == 1 and broken.attempted_call


def test_a_crashing_case_is_a_failed_result_and_the_run_goes_on(config):
    def script(tier, messages):
        if "boom" in messages[-1]["content"]:
            raise RuntimeError("llama.cpp exploded")
        return "fine"

    cases = [
        EvalCase(id="boom", tier="simple", input="boom", expected_no_tool=True),
        EvalCase(id="ok", tier="simple", input="hello", expected_no_tool=True),
    ]
    boom, ok = Evaluator(_model(config, script), [Variant("A")]).run(cases)["A"]
    assert boom.error == "RuntimeError: llama.cpp exploded" and ok.error is None and ok.content == "fine"


def test_task_cases_run_the_agent_loop_in_a_real_repo_and_keep_the_checker_verdict(config, tmp_path):
    from entropi.data.gold import gold_outputs
    from entropi.tasks import load_tasks

    task = next(t for t in load_tasks() if t.id == "find_definition")
    case = next(c for c in task_cases() if c.task == task.id)
    outputs = list(gold_outputs(task))
    model = _model(config, lambda tier, messages: outputs.pop(0))
    options = RunOptions(max_iterations=8)
    (result,) = Evaluator(model, [Variant("A")], options).run([case], workdir=tmp_path)["A"]
    assert result.kind == "task" and result.error is None
    assert result.task_passed is True, result.task_detail
    assert result.first_tool == task.expected_first_tool
    assert (tmp_path / "A" / f"{task.id}-0" / ".git").is_dir()


def test_variant_labels_must_differ(config):
    with pytest.raises(ValueError, match="labels must differ"):
        Evaluator(_model(config, lambda *_: ""), [Variant("A"), Variant("A")])


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--cases", "missing.jsonl"], "missing.jsonl"),
        (["--tier", "code", "--ids", "nothing-matches-*"], "no eval case matches"),
        (["--adapter", "v7", "--tier", "code"], "no adapter version v7 for tier code"),
        (["--adapter", "/no/such/adapter.gguf", "--tier", "code"], "not 'none', 'current'"),
    ],
)
def test_cli_option_errors_are_one_clear_line(tmp_path, capsys, argv, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    calls = []
    monkeypatch.setattr("entropi.evaluation.runner.evaluate_variants", lambda *a, **k: calls.append(a))
    assert cli.main(["--project-root", str(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err.replace("\n", "")
    assert calls == []


def test_cli_writes_results_metric_files_and_the_ab_report(tmp_path, monkeypatch, config):
    def fake_evaluate(config, project_root, cases, variants, *, options, on_result):
        out = {}
        for label in variants:
            model = _model(
                config, lambda tier, messages, label=label: TODO if label == "current" else "no idea"
            )
            out.update(Evaluator(model, [Variant(label)], options).run(cases, on_result=on_result))
        return out

    monkeypatch.setattr("entropi.evaluation.runner.evaluate_variants", fake_evaluate)
    out = tmp_path / "eval"
    argv = [
        "--project-root",
        str(tmp_path),
        "--tier",
        "thinking",
        "--limit",
        "4",
        "--compare",
        "base",
        "current",
    ]
    assert cli.main([*argv, "--out", str(out), "--json"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["cases"] == 8 and set(run["variants"]) == {"base", "current"}
    assert run["variants"]["current"]["thinking"] is None  # nothing promoted: current is the base
    for label in ("base", "current"):
        for name in ("results.jsonl", "tool_accuracy.json", "thinking_action_coherence.json"):
            assert (out / label / name).is_file()
    accuracy = json.loads((out / "current" / "tool_accuracy.json").read_text())
    assert accuracy["overall"]["selection"]["rate"] == 1.0
    assert accuracy["overall"]["validity"]["rate"] == 1.0
    assert (out / "report.html").is_file() and (out / "compare.json").is_file()
