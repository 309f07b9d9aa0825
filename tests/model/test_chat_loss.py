"""General-chat reply NLL on the real embedded model: finite, deterministic, changed by a real LoRA, equal to
a token-by-token reference, independent of the batch size, and harmless to the runtime's KV state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from entropi.evaluation.cases import load_general_chat
from entropi.evaluation.chat_loss import ChatLossError, chat_losses, reply_nll, reply_spans
from entropi.inference.runtime import Runtime

pytestmark = pytest.mark.model

CHATS = [
    [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "The capital of France is Paris."},
    ],
    [
        {"role": "user", "content": "Hi there!"},
        {"role": "assistant", "content": "Hello! How can I help you today?"},
        {"role": "user", "content": "Give me one tip for sleeping well."},
        {"role": "assistant", "content": "Keep a regular bedtime, even at weekends."},
    ],
]
GREEDY = {"temperature": 0.0, "max_tokens": 8}


@pytest.fixture(scope="module")
def setup(module_project, adapter_a):
    """One runtime: `code` runs under a real LoRA, `normal` on the bare base."""
    root, config = module_project({"code": {"lora_path": str(adapter_a)}})
    with Runtime(config, project_root=root, with_router=False) as runtime:
        assert runtime.adapters.statuses["code"].loaded
        yield root, config, runtime


def _reference(runtime: Runtime, messages) -> tuple[float, int]:
    """Token-by-token: decode the context, then read the last-token logits before feeding each reply token."""
    model, ctx = runtime.model, runtime.ctx
    total, count = 0.0, 0
    for context_text, reply_text in reply_spans(runtime.formatter, messages):
        context, reply = model.tokenize(context_text), model.tokenize(reply_text)
        ctx.clear()
        ctx.decode(context, 0)
        for pos, token in enumerate(reply, len(context)):
            logits = np.array(ctx.logits(), dtype=np.float64)
            top = logits.max()
            total += top + math.log(np.exp(logits - top).sum()) - logits[token]
            count += 1
            ctx.decode_one(token, pos)
    return total, count


def test_the_loss_is_finite_repeatable_and_changed_by_the_adapter(setup):
    _, _, runtime = setup
    base = reply_nll(runtime, "normal", CHATS)
    again = reply_nll(runtime, "normal", CHATS)
    adapted = reply_nll(runtime, "code", CHATS)
    print(f"reply NLL: base {base:.4f}, random LoRA {adapted:.4f} nats/token")
    assert math.isfinite(base) and math.isfinite(adapted) and 0 < base < 10
    assert again == base, "same slot, same conversations: identical"
    assert abs(adapted - base) > 1e-3, "the adapter changes the loss"
    assert reply_nll(runtime, "code", CHATS) == adapted
    assert reply_nll(runtime, "normal", [{"messages": CHATS[0]}]) == reply_nll(runtime, "normal", CHATS[:1])


def test_the_loss_matches_a_token_by_token_reference(setup):
    """llama.cpp's numbers depend a little on how positions are batched (Q4_1: ~0.02-0.3 nats on single
    tokens, ~1.5% on the mean here), so the reference agrees within 3%; a row misaligned by one position is
    off by 8-12 nats per token."""
    _, _, runtime = setup
    for slot in ("normal", "code"):
        runtime.ctx.set_adapters(*runtime.adapters.swap_set(slot))
        total, count = _reference(runtime, CHATS[1])
        assert reply_nll(runtime, slot, [CHATS[1]]) == pytest.approx(total / count, rel=3e-2)
    spans = reply_spans(runtime.formatter, CHATS[1])
    assert [reply for _, reply in spans] == [
        "Hello! How can I help you today?<|im_end|>",
        "Keep a regular bedtime, even at weekends.<|im_end|>",
    ]
    assert spans[1][0].endswith("Give me one tip for sleeping well.<|im_end|>\n<|im_start|>assistant\n")


def test_batches_smaller_than_a_conversation_give_the_same_loss(setup, module_project, adapter_a):
    _, _, runtime = setup
    root, config = module_project(
        {"code": {"lora_path": str(adapter_a)}}, overrides={"model": {"n_batch": 32, "n_ctx": 2048}}
    )
    with Runtime(config, project_root=root, with_router=False) as small:
        assert small.ctx.n_batch == 32
        tokens = small.model.tokenize("".join(reply_spans(small.formatter, CHATS[1])[1]))
        assert len(tokens) > 2 * 32, "the scored conversation spans several batches"
        # batching moves llama.cpp's numbers ~1%; a wrong row offset would move them by nats
        assert reply_nll(small, "code", CHATS) == pytest.approx(reply_nll(runtime, "code", CHATS), rel=3e-2)


def test_scoring_leaves_turns_exactly_as_they_were(setup):
    _, _, runtime = setup
    messages = [{"role": "user", "content": "Name a colour."}]
    before = runtime.turn("code", messages, sampling_overrides=GREEDY)
    reply_nll(runtime, "normal", CHATS)
    assert runtime.kv.tokens == [], "the KV manager was reset"
    after = runtime.turn("code", messages, sampling_overrides=GREEDY)
    assert after.tokens == before.tokens and after.adapter.loaded


def test_chat_losses_loads_variants_and_matches_the_tier_slots(setup):
    root, config, runtime = setup
    adapter = runtime.adapters.statuses["code"].path
    losses = chat_losses(config, root, "normal", {"base": None, "cand": adapter}, CHATS)
    assert losses["base"] == pytest.approx(reply_nll(runtime, "normal", CHATS), rel=1e-6)
    assert losses["cand"] == pytest.approx(reply_nll(runtime, "code", CHATS), rel=1e-6)


def test_the_shipped_general_chat_set_scores(setup):
    _, _, runtime = setup
    conversations = load_general_chat()
    assert len(conversations) >= 40
    value = reply_nll(runtime, "normal", conversations[:8])
    assert math.isfinite(value) and value > 0


def test_unscorable_conversations_are_named(setup):
    _, _, runtime = setup
    with pytest.raises(ChatLossError, match="conversation 1: no assistant message"):
        reply_nll(runtime, "normal", [CHATS[0], [{"role": "user", "content": "hello?"}]])
    long = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "word " * 3000}]
    with pytest.raises(ChatLossError, match=r"conversation 0: .* do not fit in the context"):
        reply_nll(runtime, "normal", [long])
    with pytest.raises(ChatLossError, match="no conversations"):
        reply_nll(runtime, "normal", [])
