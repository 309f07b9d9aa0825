"""SFT rows: one per user query per tier, in TRL's conversational format, rendered as the model saw them.

A row is the messages of the tier's last good call in the turn plus that call's output. Assistant turns the
tier produced in this turn keep `reasoning_content`; every other assistant turn (earlier queries, other tiers)
has it stripped, as at inference. `finalize` turns tool-call arguments into JSON strings and `tools` (the
offered schemas, OpenAI shape) into JSON text, which TRL's trainers `json.loads`; `content` is always text.
A tier's calls are cut at its first bad call: the row ends with the last good one before it.
Non-goals: deciding what is good (`labels.py`), redaction and dedup (`hygiene.py`, `dedup.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entropi.data.labels import CallLabels
from entropi.data.memo import MISSING, IdMemo
from entropi.data.turns import Call, Turn, query_index

_json_text = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), built once
_OPENAI_TOOLS: IdMemo[list[dict[str, Any]]] = IdMemo(1024)

Render = Callable[..., dict[str, Any]]
"""`trl_message`, or a memoized equivalent (`messages.MessageCache.render`): (message, *, keep_reasoning)."""


class HistoryMismatch(ValueError):
    """A call's logged history does not line up with the turn's earlier calls."""


def trl_call(name: str, arguments: Any, call_id: str = "") -> dict[str, Any]:
    """One tool call in OpenAI/TRL shape; arguments stay a dict until `finalize` (redaction runs between)."""
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def trl_message(message: Mapping[str, Any], *, keep_reasoning: bool) -> dict[str, Any]:
    """A logged message in TRL shape; unknown keys are dropped, `content` null becomes ""."""
    out: dict[str, Any] = {"role": str(message.get("role")), "content": str(message.get("content") or "")}
    if out["role"] == "assistant":
        if keep_reasoning and message.get("reasoning_content"):
            out["reasoning_content"] = str(message["reasoning_content"])
        calls = message.get("tool_calls") or []
        if calls:
            out["tool_calls"] = [
                trl_call(
                    str((c.get("function") or c).get("name")),
                    (c.get("function") or c).get("arguments") or {},
                    str(c.get("id") or ""),
                )
                for c in calls
            ]
    elif out["role"] == "tool":
        for key in ("tool_call_id", "name"):
            if message.get(key) is not None:
                out[key] = str(message[key])
    return out


def output_message(call: Call) -> dict[str, Any]:
    """The call's own output as a TRL assistant message (calls made inside <think> are left out)."""
    parsed = call.record.parsed
    message: dict[str, Any] = {"role": "assistant", "content": parsed.content}
    if parsed.thinking:
        message["reasoning_content"] = parsed.thinking
    if parsed.tool_calls:
        message["tool_calls"] = [trl_call(c.name, c.arguments, c.id) for c in parsed.tool_calls]
    return message


def openai_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The offered tool schemas in OpenAI shape; the same (read-only) list for the same schema dicts, which
    the log reader shares between a session's records, so its written form is made once (`sink.py`)."""
    key = tuple(tools)
    found = _OPENAI_TOOLS.get(key)
    if found is MISSING:
        found = _OPENAI_TOOLS.put(
            key,
            [
                dict(t)
                if t.get("type") == "function" and "function" in t
                else {"type": "function", "function": t}
                for t in tools
            ],
        )
    return found


def finalize(row: dict[str, Any]) -> dict[str, Any]:
    """The row as written: tool-call arguments and `tools` become JSON text (after redaction ran on them)."""
    out = dict(row)
    for key in ("messages", "prompt", "chosen", "rejected"):
        if key in out:
            out[key] = [stringify_calls(m) for m in out[key]]
    if "tools" in out and not isinstance(out["tools"], str):
        out["tools"] = json.dumps(out["tools"], ensure_ascii=False)
    return out


def stringify_calls(message: dict[str, Any]) -> dict[str, Any]:
    """The message as written: tool-call arguments as JSON text (the message itself when it has no calls)."""
    if not message.get("tool_calls"):
        return message
    calls = []
    for call in message["tool_calls"]:
        args = call["function"]["arguments"]
        text = args if isinstance(args, str) else _json_text(args)
        calls.append({**call, "function": {**call["function"], "arguments": text}})
    return {**message, "tool_calls": calls}


def render_prompt(turn: Turn, position: int, render: Render = trl_message) -> list[dict[str, Any]]:
    """The messages call `position` of the turn saw, with reasoning kept only on this tier's turns of this
    query. Raises HistoryMismatch when the logged history does not line up with the turn's calls."""
    call = turn.calls[position]
    messages = call.record.messages
    query = query_index(messages)
    after = [
        i for i, m in enumerate(messages) if m.get("role") == "assistant" and query is not None and i > query
    ]
    if len(after) != position:
        raise HistoryMismatch(
            f"call {position} of turn {turn.turn_index} sees {len(after)} assistant messages after the "
            f"query, expected {position}"
        )
    own = {i for i, earlier in zip(after, turn.calls[:position], strict=True) if earlier.tier == call.tier}
    return [render(m, keep_reasoning=i in own) for i, m in enumerate(messages)]


@dataclass(frozen=True)
class SftCandidate:
    """A row before hygiene, or why a tier's part of a turn gave none (`row` None, `skip` set)."""

    tier: str
    row: dict[str, Any] | None = None
    skip: str | None = None


def _quality(labels: Sequence[CallLabels]) -> dict[str, Any]:
    with_calls = [lb for lb in labels if lb.tools_called]
    return {
        "valid": all(lb.valid for lb in labels),
        "coherent": all(lb.coherent for lb in with_calls),
        "executed_ok": all(lb.executed_ok is not False for lb in labels),
        "approved": not any(lb.approval == "denied" for lb in labels),
        "unclear_turns": sum(lb.coherence.label == "unclear" for lb in labels),
        "outcome": labels[-1].outcome if labels else None,
        "checker_passed": labels[-1].checker_passed if labels else None,
    }


def sft_candidates(
    turn: Turn, labels: Sequence[CallLabels], task_id: str | None, render: Render = trl_message
) -> Iterator[SftCandidate]:
    """One candidate per tier that made calls in the turn (see the module docstring); `render` renders each
    logged message of the history."""
    tiers = list(dict.fromkeys(c.tier for c in turn.calls))
    marked_bad = any(lb.outcome == "bad" for lb in labels)
    for tier in tiers:
        mine = [i for i, c in enumerate(turn.calls) if c.tier == tier]
        if marked_bad:
            yield SftCandidate(tier, skip="user_marked_bad")
            continue
        kept = []
        for i in mine:
            if not labels[i].good:
                break
            kept.append(i)
        if not kept:
            yield SftCandidate(tier, skip="first_call_rejected")
            continue
        last = kept[-1]
        try:
            messages = render_prompt(turn, last, render)
        except HistoryMismatch:
            yield SftCandidate(tier, skip="history_mismatch")
            continue
        record = turn.calls[last].record
        row = {
            "messages": [*messages, output_message(turn.calls[last])],
            "tools": openai_tools(record.tools),
            "tier": tier,
            "session_id": turn.session_id,
            "turn_index": turn.turn_index,
            "source": turn.source,
            "task_id": task_id,
            "record_ids": [turn.calls[i].record.record_id for i in kept],
            "truncated": len(kept) < len(mine),
            "quality": _quality([labels[i] for i in kept]),
        }
        yield SftCandidate(tier, row=row)
