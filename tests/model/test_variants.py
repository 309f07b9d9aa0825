"""Evaluation variants on the real model: one tier under several adapters in one process, own tools."""

from __future__ import annotations

import pytest

from entropi.inference.adapters import AdapterError
from entropi.inference.runtime import Runtime

MESSAGES = [{"role": "user", "content": "Name three rivers in Europe."}]
TOOL = {
    "name": "weather.lookup",
    "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_variants_match_their_own_single_adapter_runtimes(project, adapter_a, tmp_path):
    plain = project({"code": {"sampling": {"temperature": 0, "max_tokens": 16}}})
    with Runtime(plain, project_root=tmp_path, with_router=False) as rt:
        base_alone = rt.turn("code", MESSAGES).tokens
    adapted = project(
        {"code": {"lora_path": str(adapter_a), "sampling": {"temperature": 0, "max_tokens": 16}}}
    )
    with Runtime(adapted, project_root=tmp_path, with_router=False) as rt:
        adapter_alone = rt.turn("code", MESSAGES).tokens
    with Runtime(plain, project_root=tmp_path, with_router=False) as rt:
        a = rt.add_variant("code", "A", None)
        b = rt.add_variant("code", "B", adapter_a)
        assert (a, b) == ("code@A", "code@B")
        interleaved = [rt.turn("code", MESSAGES, slot=s).tokens for s in (a, b, a, b)]
        assert rt.adapter_label("code@B") != rt.adapter_label("code@A")
        again = rt.add_variant("code", "B", None)  # replacing a loaded variant frees it safely
        replaced = rt.turn("code", MESSAGES, slot=again).tokens
    assert interleaved[0] == interleaved[2] == base_alone
    assert interleaved[1] == interleaved[3] == adapter_alone
    assert base_alone != adapter_alone
    assert replaced == base_alone


def test_variant_errors_are_clear(project, broken_adapters, tmp_path):
    config = project()
    with Runtime(config, project_root=tmp_path, with_router=False) as rt:
        with pytest.raises(AdapterError, match=r"variant 'bad' of tier code: .*truncated"):
            rt.add_variant("code", "bad", broken_adapters["truncated"])
        with pytest.raises(ValueError, match="unknown tier"):
            rt.add_variant("nope", "x", None)
        with pytest.raises(ValueError, match="unknown slot"):
            rt.turn("code", MESSAGES, slot="code@missing")
        slot = rt.add_variant("simple", "x", None)
        with pytest.raises(ValueError, match="belongs to tier 'simple'"):
            rt.turn("code", MESSAGES, slot=slot)


def test_own_tools_replace_the_tier_tools_and_keep_the_tier_snapshot(project, tmp_path):
    config = project({"normal": {"sampling": {"temperature": 0, "max_tokens": 8}}})
    with Runtime(config, project_root=tmp_path, with_router=False) as rt:
        first = rt.turn("normal", MESSAGES)
        prompt, _ = rt.render("normal", MESSAGES, [TOOL])
        assert "weather.lookup" in prompt and "filesystem.read_file" not in prompt
        own = rt.turn("normal", MESSAGES, tools=[TOOL])
        back = rt.turn("normal", MESSAGES)
    assert own.timings["prompt_tokens"] != first.timings["prompt_tokens"]
    assert back.timings["restored_tokens"] > 0 or back.timings["cached_tokens"] > 0
    assert back.tokens == first.tokens
