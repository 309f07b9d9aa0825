"""DPO pairs: a rejected assistant turn and a chosen one for the same prompt.

Rejected: an invalid, unknown-tool, incoherent, denied or failed turn (`CallLabels.rejection` is the
`pair_type`). Chosen, first that exists and differs from the rejected one after normalization:
  1. `user_correction` — a denial with feedback, followed in the same turn and tier by a good turn;
  2. `repair` — the same reasoning with the first call repaired to the tool and key arguments the reasoning
     named (valid arguments of the rejected call kept when the tool is the same), schema-validated and
     judged coherent;
  3. `resample` — a good turn of any session for the identical prompt (resolved after the pass,
     `resample.py`), else `gold` — the task suite's gold step when the turn is a task run that followed gold.
Non-goals: judging turns (`labels.py`), writing rows (`export.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from entropi.agent.validation import schema_errors
from entropi.data.coherence import Intent, judge
from entropi.data.examples import (
    HistoryMismatch,
    Render,
    openai_tools,
    output_message,
    render_prompt,
    trl_call,
    trl_message,
)
from entropi.data.gold import canonical, gold_step
from entropi.data.labels import CallLabels, offered_schemas, offered_tools
from entropi.data.turns import Call, Turn
from entropi.inference.output_parser import THINK_CLOSE
from entropi.tasks import Task


@dataclass(frozen=True)
class PairDraft:
    """A pair before hygiene; `chosen` None means it waits for a resample (or falls back to `gold`)."""

    row: dict[str, Any]
    prompt_key: str
    gold: dict[str, Any] | None = None


def normalized(message: Mapping[str, Any]) -> str:
    """What makes two assistant turns the same: reasoning, content and calls, whitespace and case folded."""

    def fold(text: Any) -> str:
        return " ".join(str(text or "").split()).casefold()

    calls = []
    for call in message.get("tool_calls") or []:
        args = call["function"]["arguments"]
        args = json.loads(args) if isinstance(args, str) else args
        calls.append([call["function"]["name"], canonical(args)])
    return json.dumps([fold(message.get("reasoning_content")), fold(message.get("content")), calls])


def prompt_key(tier: str, messages: list[dict[str, Any]]) -> str:
    """Identity of a prompt: the tier and the conversation the model was given. Not the rendered prompt text:
    the reference solver logs none, and its gold turn must meet the model's turn on the same prompt."""
    text = json.dumps(messages, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(tier.encode("utf-8", "replace") + b"\x00")  # sha256: 2.5x blake2b's speed here
    digest.update(text.encode("utf-8", "replace"))
    return digest.hexdigest()[:32]


def repaired_call(
    intent: Intent,
    first: tuple[str, Mapping[str, Any]] | None,
    offered: Mapping[str, Mapping[str, Any]],
    valid: Callable[[str, Mapping[str, Any]], bool] | None = None,
) -> tuple[str, dict[str, Any]] | None:
    """The call the reasoning named, built from its key arguments; None unless it is schema-valid (`valid`:
    the schema check, `not schema_errors(offered[name], args)` when not given)."""
    if intent.kind != "tool" or intent.tool not in offered:
        return None
    schema = offered[intent.tool]
    props = (schema.get("parameters") or {}).get("properties") or {}
    args: dict[str, Any] = {}
    if first is not None and first[0] == intent.tool:
        args = {k: v for k, v in first[1].items() if k in props}
    args.update({k: v for k, v in intent.arguments.items() if k in props})
    if intent.tool == "entropi.handoff" and "reason" in props and "reason" not in args:
        args["reason"] = intent.evidence
    ok = valid(intent.tool, args) if valid is not None else not schema_errors(schema, args)
    if not ok or judge(intent, (intent.tool, args)).label != "coherent":
        return None
    return intent.tool, args


def _done_calls(turn: Turn, labels: list[CallLabels], position: int) -> list[tuple[str, str]] | None:
    """The turn's earlier calls as (name, canonical args), or None if one failed or made several calls."""
    done = []
    for call, lb in zip(turn.calls[:position], labels[:position], strict=True):
        tcs = call.record.parsed.tool_calls
        if len(tcs) != 1 or lb.executed_ok is not True:
            return None
        done.append((tcs[0].name, canonical(tcs[0].arguments)))
    return done


def _gold_chosen(turn: Turn, labels: list[CallLabels], position: int, task: Task | None) -> dict | None:
    if task is None:
        return None
    done = _done_calls(turn, labels, position)
    step = gold_step(task, done) if done is not None else None
    offered = offered_schemas(turn.calls[position].record.tools)
    if step is None or any(c["function"]["name"] not in offered for c in step.get("tool_calls", [])):
        return None
    calls = [
        trl_call(c["function"]["name"], c["function"]["arguments"], c["id"])
        for c in step.get("tool_calls", [])
    ]
    return {**step, **({"tool_calls": calls} if calls else {})}


def pair_drafts(
    turn: Turn,
    labels: list[CallLabels],
    tiers: set[str],
    task: Task | None,
    skipped: dict[str, int],
    render: Render = trl_message,
) -> Iterator[PairDraft]:
    """A draft per rejected turn of the selected tiers; `skipped` counts why a rejected turn gave none;
    `render` renders each logged message of the prompt."""
    for i, (call, lb) in enumerate(zip(turn.calls, labels, strict=True)):
        pair_type = lb.rejection
        if pair_type is None or call.tier not in tiers:
            continue
        try:
            prompt = render_prompt(turn, i, render)
        except HistoryMismatch:
            skipped["history_mismatch"] = skipped.get("history_mismatch", 0) + 1
            continue
        rejected = _rejected_message(call)
        row = {
            "prompt": prompt,
            "chosen": None,
            "rejected": [rejected],
            "tools": openai_tools(call.record.tools),
            "tier": call.tier,
            "session_id": turn.session_id,
            "turn_index": turn.turn_index,
            "source": turn.source,
            "task_id": task.id if task else None,
            "pair_type": pair_type,
            "chosen_source": None,
            "record_id": call.record.record_id,
            "chosen_record_id": None,
        }
        for source, chosen, chosen_id in _immediate(turn, labels, i):
            if normalized(chosen) != normalized(rejected):
                yield PairDraft(
                    {**row, "chosen": [chosen], "chosen_source": source, "chosen_record_id": chosen_id}, ""
                )
                break
        else:
            key = prompt_key(call.tier, call.record.messages)
            yield PairDraft(row, key, _gold_chosen(turn, labels, i, task))


def _rejected_message(call: Call) -> dict[str, Any]:
    """The rejected turn as emitted: with parse problems, the raw text after the reasoning stays the content
    (a broken call is what the model must learn not to write), otherwise the parsed message."""
    record = call.record
    if not record.parsed.parse_errors:
        return output_message(call)
    message: dict[str, Any] = {
        "role": "assistant",
        "content": record.raw_output.rsplit(THINK_CLOSE, 1)[-1].strip(),
    }
    if record.parsed.thinking:
        message["reasoning_content"] = record.parsed.thinking
    return message


def _immediate(turn: Turn, labels: list[CallLabels], i: int) -> Iterator[tuple[str, dict, str | None]]:
    call, lb = turn.calls[i], labels[i]
    nxt = i + 1
    if (
        lb.rejection == "denied_by_user"
        and lb.feedback
        and nxt < len(turn.calls)
        and turn.calls[nxt].tier == call.tier
        and labels[nxt].good
        and labels[nxt].tools_called
    ):
        yield "user_correction", output_message(turn.calls[nxt]), turn.calls[nxt].record.record_id
    parsed = call.record.parsed
    first = (parsed.tool_calls[0].name, parsed.tool_calls[0].arguments) if parsed.tool_calls else None
    tools = offered_tools(call.record.tools)  # memoized per tool list, with its fast schema checks
    fixed = repaired_call(lb.coherence.intent, first, tools.offered, tools.valid)
    if fixed is not None:
        chosen: dict[str, Any] = {"role": "assistant", "content": parsed.content}
        if parsed.thinking:
            chosen["reasoning_content"] = parsed.thinking
        chosen["tool_calls"] = [trl_call(fixed[0], fixed[1], "call_0")]
        yield "repair", chosen, None
