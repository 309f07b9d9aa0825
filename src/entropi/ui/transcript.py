"""A stored conversation (a resumed session) as chat widgets: per turn the user's message, reasoning,
answers and tool cards with their recorded results.

It reads structured messages (role, content, reasoning_content, tool_calls) and the recorded tool
executions; it never parses model output. Non-goals: live turns (``TurnView`` renders those from events).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from textual.containers import Vertical
from textual.widget import Widget

from entropi.agent.context import Entry
from entropi.agent.session_store import ToolExecution
from entropi.ui.widgets.answer import Answer
from entropi.ui.widgets.notice import Notice
from entropi.ui.widgets.thinking import ThinkingBlock
from entropi.ui.widgets.tool_card import ToolCard
from entropi.ui.widgets.user_message import UserMessage

Executions = dict[tuple[int, str], ToolExecution]


def _card(turn: int, call: dict, executions: Executions) -> ToolCard:
    fn = call.get("function") or {}
    arguments = fn.get("arguments")
    card = ToolCard(
        str(call.get("id", "")), str(fn.get("name", "?")), arguments if isinstance(arguments, dict) else {}
    )
    done = executions.get((turn, card.call_id))
    if done is not None:
        card.finish(done.status, done.content, done.duration_ms, None, done.decision)
    return card


def _widgets(entries: list[Entry], executions: Executions) -> list[Widget]:
    out: list[Widget] = []
    for entry in entries:
        message = entry.message
        content = str(message.get("content") or "")
        if entry.kind == "user":
            out.append(UserMessage(content))
        elif entry.kind == "summary":
            out.append(Notice("earlier work in this session was compacted"))
        elif entry.kind == "assistant":
            if message.get("reasoning_content"):
                out.append(ThinkingBlock(collapsed=True, text=str(message["reasoning_content"])))
            if content.strip():
                out.append(Answer(content.strip()))
            out += [_card(entry.turn, call, executions) for call in message.get("tool_calls") or []]
    return out


def transcript_turns(entries: Sequence[Entry], executions: Sequence[ToolExecution]) -> list[Vertical]:
    """One container per stored turn, in order (repair prompts and tool messages are not shown)."""
    by_call = {(e.turn_index, e.call_id): e for e in executions}
    return [
        Vertical(*_widgets(list(group), by_call), classes="turn done")
        for _turn, group in groupby(entries, key=lambda e: e.turn)
    ]
