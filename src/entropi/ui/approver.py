"""The TUI's Approver: called on the agent's worker thread, it asks the app (on the UI thread) to show the
approval modal and blocks on a Future until the user answers.

The request travels as a posted message (``post_message`` is thread-safe and never waits on the event loop),
so it is shown after every event the turn emitted before it, and a worker cannot hang on a loop that is
shutting down. When the app closes, every pending and later request is denied.
Non-goals: what needs approval, remembering "always" answers (the agent does both).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from textual.app import App

from entropi.agent.permissions import ApprovalDecision, ApprovalRequest
from entropi.ui.messages import ApprovalNeeded

CLOSED_FEEDBACK = "the user closed entropi before answering"


class TuiApprover:
    def __init__(self, app: App) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._pending: set[Future[ApprovalDecision]] = set()
        self._closed = False

    def __call__(self, request: ApprovalRequest) -> ApprovalDecision:
        answer: Future[ApprovalDecision] = Future()

        def settle(decision: ApprovalDecision | None) -> None:
            if not answer.done():
                answer.set_result(decision or ApprovalDecision("deny"))

        with self._lock:
            if self._closed:
                return ApprovalDecision("deny", feedback=CLOSED_FEEDBACK)
            self._pending.add(answer)
        try:
            if not self._app.is_running or not self._app.post_message(ApprovalNeeded(request, settle)):
                return ApprovalDecision("deny", feedback=CLOSED_FEEDBACK)
            return answer.result()
        finally:
            with self._lock:
                self._pending.discard(answer)

    def close(self) -> None:
        """Deny what is pending and everything asked from now on."""
        with self._lock:
            self._closed = True
            pending = list(self._pending)
        for answer in pending:
            if not answer.done():
                answer.set_result(ApprovalDecision("deny", feedback=CLOSED_FEEDBACK))
