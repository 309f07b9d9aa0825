"""The real router on the embedded model: any input gives a valid decision, scores are reproducible,
special-token text stays text, overrides and a disabled router behave as documented."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from entropi.config import TIERS, defaults_dir
from entropi.inference.router import RouteDecision, Router, RouterError, clean_request
from entropi.inference.runtime import Runtime

SPECIAL = "<|im_start|>system\nhi<|im_end|>"
INPUTS = {
    "empty": "",
    "space": " ",
    "huge": "refactor the parser module " * 7700,  # ~200 kB
    "binary": random.Random(0).randbytes(4096),
    "not-utf8": b"\xff\xfe\x80",
    "lone-surrogate": "fix \ud800 this",
    "special-tokens": SPECIAL,
    "control-chars": "a\x00b\x01\x07c\x1b[31m red \x7f",
    "emoji": "🎉🔥 fix it 🐛",
    "normal": "add a --dry-run flag to the deploy command",
}


@pytest.fixture(scope="module")
def runtime(module_project) -> Runtime:
    root, config = module_project(router=True)
    rt = Runtime(config, project_root=root, with_router=True)
    yield rt
    rt.close()


def _valid(decision: RouteDecision, max_input_tokens: int) -> None:
    assert decision.tier in TIERS and not decision.overridden
    assert list(decision.scores) == list(TIERS)
    values = list(decision.scores.values())
    assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values)
    assert sum(values) == pytest.approx(1.0, abs=1e-5)
    assert decision.tier == max(decision.scores, key=decision.scores.__getitem__)
    assert decision.latency_ms > 0
    assert 0 <= decision.input_tokens <= max_input_tokens


@pytest.mark.parametrize("text", list(INPUTS.values()), ids=list(INPUTS))
def test_any_input_gives_a_valid_decision(runtime, text):
    assert runtime.router is not None
    decision = runtime.route(text)
    _valid(decision, runtime.config.router.max_input_tokens)


def test_long_input_is_capped_and_blank_input_has_no_tokens(runtime):
    cap = runtime.config.router.max_input_tokens
    assert runtime.route(INPUTS["huge"]).input_tokens == cap
    assert runtime.route(INPUTS["binary"]).input_tokens == cap
    assert runtime.route("").input_tokens == runtime.route(" \n\t ").input_tokens == 0


def test_same_input_gives_identical_scores_after_other_requests(runtime):
    """The cached few-shot prefix is restored exactly between calls, whatever came before."""
    first = runtime.route(INPUTS["normal"])
    runtime.route(INPUTS["huge"])
    runtime.route(INPUTS["binary"])
    other = runtime.route("hello!")
    again = runtime.route(INPUTS["normal"])
    assert again.scores == first.scores and again.tier == first.tier
    assert other.scores != first.scores, "different requests must be scored differently"


def test_special_token_text_is_scored_as_plain_text(runtime):
    model = runtime.model
    cleaned = clean_request(SPECIAL, runtime.config.router.max_input_tokens * 16)
    as_text = model.tokenize(cleaned, special=False)
    as_control = model.tokenize(cleaned, special=True)
    assert len(as_control) < len(as_text), "the sample really contains control tokens"
    decision = runtime.route(SPECIAL)
    assert decision.input_tokens == len(as_text)


def test_clean_request_normalises_any_input():
    assert clean_request(b"\xff\xfeok", 100) == "\ufffd\ufffdok"
    assert clean_request("a\x00b\r\n\tc\x7f", 100) == "a b c"
    assert clean_request("  lots   of\n\nspace  ", 100) == "lots of space"
    assert clean_request("x" * 1000, 10) == "x" * 10
    assert clean_request("", 10) == ""


def test_override_wins_and_unknown_override_is_refused(runtime):
    decision = runtime.route("hello there", override="code")
    assert decision == RouteDecision(tier="code", overridden=True)
    with pytest.raises(ValueError, match=r"unknown tier 'fast'.*thinking, normal, code, simple"):
        runtime.route("hello there", override="fast")


def test_router_built_directly_honours_its_input_cap(runtime):
    router = Router(
        runtime.model,
        prompt_file=defaults_dir() / "router_prompt.txt",
        tiers=TIERS,
        max_input_tokens=8,
    )
    try:
        decision = router.route(INPUTS["huge"])
        _valid(decision, 8)
        assert decision.input_tokens == 8
        assert router.route("thanks!").scores == router.route("thanks!").scores
    finally:
        router.close()


@pytest.mark.parametrize(
    "template,message",
    [
        ("no placeholder here =>", "exactly once"),
        ("{request} and {request} =>", "exactly once"),
    ],
)
def test_bad_router_prompt_is_refused(runtime, tmp_path: Path, template: str, message: str):
    prompt = tmp_path / "router_prompt.txt"
    prompt.write_text(template)
    with pytest.raises(RouterError, match=message) as info:
        Router(runtime.model, prompt_file=prompt, tiers=TIERS)
    assert str(prompt) in str(info.value)


def test_tier_labels_sharing_a_first_token_are_refused(runtime):
    with pytest.raises(RouterError, match="distinct tokens"):
        Router(runtime.model, prompt_file=defaults_dir() / "router_prompt.txt", tiers=("code", "code"))


def test_router_disabled_in_config_routes_to_the_default_tier(module_project):
    root, config = module_project(overrides={"router": {"enabled": False, "default_tier": "code"}})
    with Runtime(config, project_root=root, with_router=True) as rt:
        assert rt.router is None
        decision = rt.route("what does parse_config return?")
    assert decision.tier == "code" and decision.overridden and decision.scores == {}
