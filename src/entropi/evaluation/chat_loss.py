"""General-chat loss: mean negative log-likelihood of assistant replies under one adapter slot (llama.cpp).

The promotion gate's "no regression on general chat": an adapter trained on one tier's tool traffic must
not make plain conversation less likely. Each conversation (TRL conversational rows,
``{"messages": [...]}``) is rendered with the runtime's own chat formatter, without tools; every assistant
message is scored given the conversation before it, from its first token up to and including the
template's end-of-turn marker (the span SFT trains on). The result is the token-weighted mean NLL in nats
per reply token over all conversations; lower is better. Scoring runs on the runtime's generation context
under the slot's adapter set and leaves that context's KV cleared (``runtime.kv.reset()``).
Non-goals: generation, reading conversation files (``cases.load_general_chat``), the promotion decision
(``gate.py``). Not thread-safe against concurrent ``Runtime.turn`` calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from entropi.inference.chat_format import ChatFormatter

Conversation = Sequence[Mapping[str, Any]]
_MARKER = "Zq9 marker"


class ChatLossError(ValueError):
    """A conversation that cannot be scored; the message says which and why."""


def turn_end(formatter: ChatFormatter) -> str:
    """The text the template closes an assistant turn with (e.g. ``<|im_end|>``), whitespace dropped."""
    text = formatter.render(
        [{"role": "user", "content": "A0"}, {"role": "assistant", "content": _MARKER}],
        add_generation_prompt=False,
    )
    return text[text.rindex(_MARKER) + len(_MARKER) :].strip()


def reply_spans(
    formatter: ChatFormatter, messages: Conversation, *, enable_thinking: bool = False
) -> list[tuple[str, str]]:
    """(context text, reply text) per assistant message: the prompt before it and what the model writes."""
    end = turn_end(formatter)
    spans = []
    for i, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        before = formatter.render(messages[:i], add_generation_prompt=True, enable_thinking=enable_thinking)
        through = formatter.render(
            messages[: i + 1], add_generation_prompt=False, enable_thinking=enable_thinking
        )
        start = next((k for k, (a, b) in enumerate(zip(before, through, strict=False)) if a != b), None)
        start = min(len(before), len(through)) if start is None else start
        at = through.find(end, start) if end else -1
        stop = at + len(end) if at >= 0 else len(through)
        spans.append((through[:start], through[start:stop]))
    return spans


def _nll(ctx: Any, context: list[int], reply: list[int]) -> float:
    """Sum of -log p(reply token | everything before it), one pass over context + reply."""
    ids = context + reply
    targets = np.asarray(ids[1:], dtype=np.int64)
    first = len(context) - 1  # the row whose logits predict the first reply token
    total, row0 = 0.0, 0
    ctx.clear()
    for logits in ctx.decode_all(ids[:-1], 0):
        n = logits.shape[0]
        lo = max(first - row0, 0)
        if lo < n:
            rows = logits[lo:]
            want = targets[row0 + lo : row0 + n]
            top = rows.max(axis=1)
            lse = top + np.log(np.exp(rows - top[:, None]).sum(axis=1, dtype=np.float64))
            total += float((lse - rows[np.arange(len(want)), want]).sum())
        row0 += n
    return total


def reply_nll(
    runtime: Any,
    slot: str,
    conversations: Sequence[Conversation | Mapping[str, Any]],
    *,
    enable_thinking: bool = False,
) -> float:
    """Mean NLL per assistant-reply token (nats) of ``conversations`` under ``slot``'s adapter set.

    ``slot`` is a tier or a variant slot (``Runtime.add_variant``); a conversation is a list of messages or
    a row with ``messages``. Raises `ChatLossError` for a conversation without an assistant reply or one
    that does not fit in the context.
    """
    model, ctx = runtime.model, runtime.ctx
    key, handles = runtime.adapters.swap_set(slot)
    total, count = 0.0, 0
    runtime.kv.reset()
    try:
        ctx.set_adapters(key, handles)
        for index, item in enumerate(conversations):
            messages = item["messages"] if isinstance(item, Mapping) else item
            spans = reply_spans(runtime.formatter, messages, enable_thinking=enable_thinking)
            if not spans:
                raise ChatLossError(f"conversation {index}: no assistant message to score")
            for context_text, reply_text in spans:
                context, reply = model.tokenize(context_text), model.tokenize(reply_text)
                if not context or not reply:
                    raise ChatLossError(f"conversation {index}: an empty prompt or reply")
                if len(context) + len(reply) > ctx.n_ctx:
                    raise ChatLossError(
                        f"conversation {index}: {len(context) + len(reply)} tokens do not fit in the "
                        f"context ({ctx.n_ctx})"
                    )
                total += _nll(ctx, context, reply)
                count += len(reply)
    finally:
        runtime.kv.reset()
    if count == 0:
        raise ChatLossError("no conversations to score")
    return total / count


def chat_losses(
    config: Any,
    project_root: Path,
    tier: str,
    variants: Mapping[str, Path | None],
    conversations: Sequence[Conversation | Mapping[str, Any]],
) -> dict[str, float]:
    """Load the runtime once and return `reply_nll` per variant label (adapter path, None = base)."""
    from entropi.inference.runtime import Runtime  # imported late: loads llama.cpp

    config = config.model_copy(update={"log": config.log.model_copy(update={"enabled": False})})
    with Runtime(config, project_root=project_root, with_router=False) as runtime:
        return {
            label: reply_nll(runtime, runtime.add_variant(tier, label, path), conversations)
            for label, path in variants.items()
        }
