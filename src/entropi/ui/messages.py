"""Messages the agent worker thread posts to the app (``post_message`` is thread-safe; order is kept)."""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message

from entropi.agent import events as ev
from entropi.agent.loop import TurnOutcome
from entropi.agent.permissions import ApprovalDecision, ApprovalRequest


class AgentEvent(Message):
    """One event the agent emitted while working on a turn."""

    def __init__(self, event: ev.Event) -> None:
        super().__init__()
        self.event = event


class TurnDone(Message):
    """The worker finished a turn: ``outcome`` when the agent returned, ``error`` when it raised."""

    def __init__(self, outcome: TurnOutcome | None, error: str | None = None) -> None:
        super().__init__()
        self.outcome = outcome
        self.error = error


class ApprovalNeeded(Message):
    """A tool call waits for the user; the app shows the modal and passes the answer to ``settle``."""

    def __init__(self, request: ApprovalRequest, settle: Callable[[ApprovalDecision | None], None]) -> None:
        super().__init__()
        self.request = request
        self.settle = settle
