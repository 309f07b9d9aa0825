"""The Runtime facade on the real embedded model: streaming, the model log, cancellation, context overflow,
KV reuse across turns and tiers, sampling overrides, and the prefill budget of the default tiers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from entropi.config import TIERS, load_config
from entropi.inference.filehash import file_sha256
from entropi.inference.router import RouteDecision
from entropi.inference.runtime import ContextOverflowError, Runtime
from entropi.modellog import ModelCallRecord, iter_log

COUNT = [{"role": "user", "content": "Count from one to twenty, separated by commas."}]
HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def runtime(module_project, adapter_a) -> Runtime:
    root, config = module_project(
        {"code": {"lora_path": str(adapter_a)}}, overrides={"model": {"n_ctx": 512}}
    )
    rt = Runtime(config, project_root=root, with_router=False)
    yield rt
    rt.close()


def _records(rt: Runtime) -> list[ModelCallRecord]:
    return [r for r in iter_log(rt.config.log.path) if isinstance(r, ModelCallRecord)]


def _record(rt: Runtime, record_id: str | None) -> ModelCallRecord:
    assert record_id is not None
    matches = [r for r in _records(rt) if r.record_id == record_id]
    assert len(matches) == 1
    return matches[0]


def test_streamed_pieces_concatenate_to_the_raw_output(runtime):
    pieces: list[str] = []
    result = runtime.turn("simple", COUNT, on_text=pieces.append)
    assert len(pieces) > 1
    assert "".join(pieces) == result.raw_output
    assert result.stop_reason in ("eos", "max_tokens")
    assert result.timings["completion_tokens"] == len(result.tokens) > 0
    assert runtime.model.detokenize(result.tokens) == result.raw_output


def test_each_turn_appends_one_model_call_record_that_rebuilds_the_call(runtime, base_path, adapter_a):
    before = len(_records(runtime)) if runtime.config.log.path.exists() else 0
    routing = RouteDecision(tier="code", overridden=True)
    on_code = runtime.turn("code", HELLO, routing=routing, turn_index=3, call_index=1)
    on_base = runtime.turn("simple", HELLO, turn_index=4)
    records = _records(runtime)
    assert len(records) == before + 2

    rec = _record(runtime, on_code.record_id)
    prompt, messages = runtime.render("code", HELLO)
    assert rec.prompt == prompt and rec.messages == messages
    assert rec.raw_output == on_code.raw_output and rec.stop_reason == on_code.stop_reason
    assert (rec.tier, rec.session_id, rec.turn_index, rec.call_index) == ("code", runtime.session_id, 3, 1)
    assert rec.routing is not None and rec.routing.tier == "code" and rec.routing.overridden
    assert rec.base_model.sha256 == file_sha256(base_path) and rec.base_model.path == str(base_path)
    assert rec.base_model.arch == "llama"
    assert rec.adapter is not None
    assert (rec.adapter.path, rec.adapter.version, rec.adapter.scale) == (str(adapter_a), "a", 1.0)
    assert rec.sampling["temperature"] == 0.0 and rec.sampling["max_tokens"] == 12
    assert rec.timings["completion_tokens"] == on_code.timings["completion_tokens"]
    assert [t["name"] for t in rec.tools] == ["filesystem.read_file"]

    plain = _record(runtime, on_base.record_id)
    assert plain.tier == "simple" and plain.adapter is None and plain.routing is None
    assert plain.prompt == runtime.render("simple", HELLO)[0]
    assert plain.turn_index == 4 and plain.call_index == 0


def test_cancel_from_the_stream_stops_early_and_is_logged(runtime):
    full = runtime.turn("normal", COUNT)
    cancel = threading.Event()
    cancelled = runtime.turn("normal", COUNT, cancel=cancel, on_text=lambda _piece: cancel.set())
    assert full.stop_reason != "cancelled" and cancelled.stop_reason == "cancelled"
    assert cancelled.raw_output and len(cancelled.raw_output) < len(full.raw_output)
    assert full.raw_output.startswith(cancelled.raw_output)
    assert _record(runtime, cancelled.record_id).stop_reason == "cancelled"


def test_context_overflow_is_a_clear_error_and_the_runtime_keeps_working(runtime):
    before = runtime.turn("simple", HELLO)
    n_records = len(_records(runtime))
    long = [{"role": "user", "content": "word " * 600}]
    with pytest.raises(ContextOverflowError, match="n_ctx") as info:
        runtime.turn("simple", long)
    assert "512" in str(info.value)
    assert len(_records(runtime)) == n_records, "a call that never ran is not logged"
    after = runtime.turn("simple", HELLO)
    assert after.tokens == before.tokens and after.stop_reason == before.stop_reason


def test_multi_turn_reuses_the_cache_and_a_tier_comes_back_from_its_snapshot(runtime):
    runtime.turn("code", HELLO)  # another adapter set: the next base-model turn starts cold
    first = runtime.turn("normal", COUNT)
    prefix = first.timings["prefix_tokens"]
    assert prefix == runtime.prefix_token_count("normal") > 0
    follow_up = [*COUNT, first.parsed.to_assistant_message(), {"role": "user", "content": "Now backwards."}]
    second = runtime.turn("normal", follow_up)
    assert second.timings["cached_tokens"] > prefix, "the first exchange is reused, not just the prefix"
    assert second.timings["prefilled_tokens"] < second.timings["prompt_tokens"] - prefix
    runtime.turn("code", HELLO)
    back = runtime.turn("normal", follow_up)
    assert back.timings["restored_tokens"] == prefix
    assert back.timings["prefilled_tokens"] == back.timings["prompt_tokens"] - prefix
    assert back.tokens == second.tokens


def test_sampling_overrides_cap_the_output(runtime):
    result = runtime.turn("normal", COUNT, sampling_overrides={"max_tokens": 5})
    assert result.stop_reason == "max_tokens"
    assert result.timings["completion_tokens"] == len(result.tokens) == 5
    assert _record(runtime, result.record_id).sampling["max_tokens"] == 5


def test_unknown_sampling_override_is_refused(runtime):
    with pytest.raises(TypeError, match="max_token"):
        runtime.turn("simple", HELLO, sampling_overrides={"max_token": 5})
    assert runtime.turn("simple", HELLO, sampling_overrides={"max_tokens": 2}).tokens


def test_unknown_tier_is_refused_and_not_logged(runtime):
    n_records = len(_records(runtime)) if runtime.config.log.path.exists() else 0
    with pytest.raises(ValueError, match="unknown tier 'fast'"):
        runtime.turn("fast", HELLO)
    with pytest.raises(KeyError):
        runtime.render("fast", HELLO)
    assert (len(_records(runtime)) if runtime.config.log.path.exists() else 0) == n_records


def test_log_disabled_writes_no_file(module_project):
    root, config = module_project(overrides={"log": {"enabled": False}})
    with Runtime(config, project_root=root, with_router=False) as rt:
        result = rt.turn("simple", HELLO, sampling_overrides={"max_tokens": 2})
    assert result.record_id is None and result.raw_output
    assert not config.log.path.exists()
    assert not list(root.rglob("*.log"))


def test_default_tier_prefixes_fit_the_prefill_budget(tmp_path: Path):
    """The real default prompts + tool schemas: the stable prefix of every tier stays ≤ 600 tokens."""
    (tmp_path / ".entropi").mkdir()
    config = load_config(tmp_path, env={}, home=tmp_path / "home")
    with Runtime(config, project_root=tmp_path, with_router=False) as rt:
        counts = {tier: rt.prefix_token_count(tier) for tier in TIERS}
        for tier in TIERS:
            setup = rt.tiers[tier]
            prefix = rt.model.tokenize(rt.formatter.stable_prefix(setup.system_prompt, list(setup.tools)))
            prompt = rt.model.tokenize(rt.render(tier, HELLO)[0])
            assert prompt[: len(prefix)] == prefix, f"{tier}: the stable prefix must start the prompt"
            assert len(prefix) == counts[tier]
    assert all(0 < n <= 600 for n in counts.values()), counts
