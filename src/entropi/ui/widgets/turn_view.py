"""One user turn in the chat: the message, the tier badge, then per model call its thinking and answer,
the tool cards, and notes on repairs, handoffs, compaction and how the turn stopped.

``handle`` takes the agent's events in order and is the only place they become widgets.
Non-goals: reading model output (events carry parsed pieces), status-bar numbers (the app keeps those).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from entropi.agent import events as ev
from entropi.ui.widgets.answer import Answer
from entropi.ui.widgets.notice import Notice, NoticeKind
from entropi.ui.widgets.thinking import ThinkingBlock
from entropi.ui.widgets.tier_badge import TierBadge
from entropi.ui.widgets.tool_card import ToolCard
from entropi.ui.widgets.user_message import UserMessage

STOP_NOTES = {
    "cancelled": "interrupted — the partial answer is kept in the conversation and the model log",
    "max_iterations": "stopped: the turn reached agent.max_iterations model calls",
    "max_tool_calls": "stopped: the turn reached agent.max_tool_calls tool calls",
    "too_many_errors": "stopped: too many failed tool calls in a row",
    "duplicate_calls": "stopped: the model kept repeating the same tool call",
    "unrepaired_output": "the model's reply stayed malformed after a repair request",
}


class TurnView(Vertical):
    def __init__(self, text: str, *, show_thinking: bool) -> None:
        super().__init__(classes="turn")
        self.user = UserMessage(text)
        self.badge = TierBadge()
        self.show_thinking = show_thinking
        self.stop_reason: str | None = None
        self._thinking: ThinkingBlock | None = None
        self._answer: Answer | None = None
        self._cards: dict[str, ToolCard] = {}

    def compose(self) -> ComposeResult:
        yield self.user
        yield self.badge

    @property
    def answers(self) -> list[Answer]:
        return list(self.query(Answer))

    @property
    def cards(self) -> list[ToolCard]:
        return list(self._cards.values())

    async def handle(self, event: ev.Event) -> None:
        match event:
            case ev.TurnStarted():
                self.badge.set_route(event.tier, event.scores, event.overridden)
            case ev.ModelCallStarted():
                self.badge.set_adapter(event.adapter)
                self._thinking = self._answer = None
            case ev.StreamDelta(channel="thinking"):
                if self._thinking is None:
                    self._thinking = ThinkingBlock(collapsed=not self.show_thinking)
                    await self.mount(self._thinking)
                self._thinking.feed(event.text)
            case ev.StreamDelta(channel="content"):
                await self._append_answer(event.text)
            case ev.ModelCallFinished():
                self.badge.set_swap(event.timings.get("swap_ms"))
                await self._end_call()
            case ev.ToolCallStarted():
                card = ToolCard(event.call_id, event.name, event.arguments)
                self._cards[event.call_id] = card
                await self.mount(card)
            case ev.ToolCallFinished():
                card = self._cards.get(event.call_id)
                if card is None:  # a finish without a start: still show it
                    card = self._cards[event.call_id] = ToolCard(event.call_id, event.name, {})
                    await self.mount(card)
                card.finish(event.status, event.content, event.duration_ms, event.error_code, event.decision)
            case ev.RepairRequested():
                await self.note(f"asked the model to repair its reply: {'; '.join(event.problems)}", "warn")
            case ev.TierChanged():
                self.badge.set_handoff(event.tier)
                await self.note(f"handoff → {event.tier}: {event.reason}".rstrip(": "))
            case ev.ContextCompacted():
                await self.note(f"context compacted: {event.tokens_before} → {event.tokens_after} tokens")
            case ev.TurnFinished():
                await self._finish(event)

    async def note(self, text: str, kind: NoticeKind = "info") -> None:
        await self.mount(Notice(text, kind))

    async def _append_answer(self, text: str) -> None:
        if self._answer is None:
            text = text.lstrip()  # whitespace before a tool call is not an answer
            if not text:
                return
            self._answer = Answer()
            await self.mount(self._answer)
        await self._answer.feed(text)

    async def _end_call(self) -> None:
        if self._thinking is not None:
            self._thinking.finish()
        if self._answer is not None and not await self._answer.finish():
            await self._answer.remove()
        self._thinking = self._answer = None

    async def _finish(self, event: ev.TurnFinished) -> None:
        await self._end_call()
        self.stop_reason = event.stop_reason
        if event.stop_reason == "context_overflow":
            await self.note(event.answer, "error")
        elif event.stop_reason in STOP_NOTES:
            await self.note(STOP_NOTES[event.stop_reason], "warn")
        self.add_class("done")
