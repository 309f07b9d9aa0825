"""The think→action smoke suite on a real model (embedded by default; `ENTROPI_SMOKE_MODEL=path.gguf`).

    pytest -m smoke                                  # only this suite
    ENTROPI_SMOKE_MODEL=models/qwen3-8b.gguf ENTROPI_SMOKE_PROJECT=. pytest -m smoke
    pytest -m "not smoke"                            # everything else

`ENTROPI_SMOKE_PROJECT` (default: a fresh project) supplies the config and promoted adapters
(`lora_adapters/<tier>/current`); reports land in `ENTROPI_SMOKE_REPORTS` (default
`tests/model/reports/<run>/`, git-ignored). Assertions are on the harness working and on thresholds the
model can meet: the founding failure case (the thinking tier must call `entropi.todo_write` first on an
investigation task) is asserted when a thinking adapter is promoted and reported as an expected failure,
with what the model did, on a bare base — the gate holds the thresholds adapters must beat.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from entropi.config import load_config
from entropi.evaluation.cases import builtin_cases, task_cases
from entropi.evaluation.metrics import summarize, write_metric_files
from entropi.evaluation.runner import Evaluator, RunOptions, Variant
from entropi.inference.runtime import Runtime

pytestmark = [pytest.mark.model, pytest.mark.smoke]
SPECIAL = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>")
GREETINGS = ("hi!", "thanks a lot, bye", "good morning :)", "thank you, that worked")


@pytest.fixture(scope="module")
def reports() -> Path:
    default = Path(__file__).parent / "reports" / time.strftime("%Y%m%d-%H%M%S")
    folder = Path(os.environ.get("ENTROPI_SMOKE_REPORTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def smoke_project(tmp_path_factory) -> Path:
    configured = os.environ.get("ENTROPI_SMOKE_PROJECT")
    return Path(configured).resolve() if configured else tmp_path_factory.mktemp("smoke-project")


@pytest.fixture(scope="module")
def runtime(smoke_project: Path):
    overrides: dict = {"log": {"enabled": False}, "model": {"n_ctx": 4096}}
    if os.environ.get("ENTROPI_SMOKE_MODEL"):
        overrides["model"]["path"] = str(Path(os.environ["ENTROPI_SMOKE_MODEL"]).resolve())
    config = load_config(smoke_project, env={}, home=smoke_project / "home", cli_overrides=overrides)
    with Runtime(config, project_root=smoke_project) as rt:
        yield rt


def _report(reports: Path, name: str, payload: dict) -> None:
    (reports / f"{name}.json").write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")


def test_founding_case_thinking_calls_todo_write_first_on_an_investigation(runtime, reports):
    case = next(c for c in task_cases("thinking") if c.task == "investigate_keyerror")
    evaluator = Evaluator(
        runtime,
        [Variant("smoke", {"thinking": runtime.tiers["thinking"].lora_path})],
        RunOptions(max_tokens=160, max_iterations=2),
    )
    (result,) = evaluator.run([case])["smoke"]
    adapter = runtime.adapter_label("thinking@smoke")
    _report(reports, "founding_case", {"adapter": adapter, **result.model_dump()})
    assert result.error is None and result.model_calls >= 1, "the agent loop ran on the real model"
    if not runtime.adapters.statuses["thinking@smoke"].loaded:
        pytest.xfail(f"bare base model: first tool {result.first_tool!r} (needs a trained thinking adapter)")
    assert result.first_tool == "entropi.todo_write"


def test_no_special_tokens_leak_into_content_or_thinking(runtime, reports):
    outputs = []
    for tier, text in (
        ("simple", "hi, who are you?"),
        ("normal", "what is a python list?"),
        ("thinking", "plan a small refactor"),
    ):
        turn = runtime.turn(
            tier,
            [{"role": "user", "content": text}],
            sampling_overrides={"temperature": 0.0, "max_tokens": 48},
        )
        outputs.append({"tier": tier, "content": turn.parsed.content, "thinking": turn.parsed.thinking})
        assert turn.timings["completion_tokens"] > 0
    _report(reports, "special_tokens", {"outputs": outputs})
    leaked = [(o["tier"], s) for o in outputs for s in SPECIAL if s in o["content"] + o["thinking"]]
    assert leaked == []


def test_router_picks_sensible_tiers_for_obvious_inputs(runtime, reports):
    greetings = {text: runtime.route(text).tier for text in GREETINGS}
    router_adapter = runtime.adapters.statuses.get("router")
    trained = bool(router_adapter and router_adapter.loaded)
    cases = [c for c in builtin_cases() if c.kind == "router"]
    if not trained:  # the base's few-shot routing is only reported, on a sample
        cases = cases[::6]
    decisions = [(c.expected_tier, runtime.route(c.input).tier) for c in cases]
    accuracy = sum(a == b for a, b in decisions) / len(decisions)
    payload = {"greetings": greetings, "accuracy": accuracy, "adapter": trained, "decisions": decisions}
    _report(reports, "router", payload)
    assert sum(tier == "simple" for tier in greetings.values()) >= 3, greetings
    if trained:
        assert accuracy >= 0.9, f"router adapter accuracy {accuracy:.1%} on the shipped router cases"


def test_a_swap_really_changes_behaviour(runtime, make_adapter, reports):
    messages = [{"role": "user", "content": "Name three rivers in Europe."}]
    sampling = {"temperature": 0.0, "max_tokens": 24}
    base = runtime.add_variant("simple", "smoke-base", None)
    other = runtime.add_variant("simple", "smoke-random", make_adapter("smoke", seed=11, std=0.08))
    first = runtime.turn("simple", messages, slot=base, sampling_overrides=sampling)
    swapped = runtime.turn("simple", messages, slot=other, sampling_overrides=sampling)
    back = runtime.turn("simple", messages, slot=base, sampling_overrides=sampling)
    _report(
        reports,
        "swap",
        {"base": first.raw_output, "adapter": swapped.raw_output, "swap_ms": swapped.timings["swap_ms"]},
    )
    assert swapped.tokens != first.tokens
    assert back.tokens == first.tokens


def test_coherence_and_validity_are_measured_and_reported(runtime, reports):
    """With `force_first` grammar every first call parses and is schema-valid: a threshold any model meets."""
    cases = [c for c in builtin_cases("thinking") if c.kind == "model" and c.expected_tool][:4]
    setup = runtime.tiers["thinking"]
    runtime.tiers["thinking"] = type(setup)(**{**setup.__dict__, "grammar": "force_first"})
    try:
        results = Evaluator(runtime, [Variant("grammar")], RunOptions(max_tokens=128)).run(cases)["grammar"]
    finally:
        runtime.tiers["thinking"] = setup
    summary = summarize(list(zip(cases, results, strict=True)))
    files = write_metric_files(reports / "thinking_grammar", summary)
    assert {p.name for p in files} >= {"tool_accuracy.json", "thinking_action_coherence.json"}
    overall = summary["overall"]
    assert overall["valid"]["n"] >= 2 and overall["valid"]["rate"] == 1.0, overall["valid"]
    shares = [overall[k]["rate"] for k in ("coherent", "incoherent", "unclear") if overall[k]["n"]]
    assert all(0.0 <= s <= 1.0 for s in shares)
