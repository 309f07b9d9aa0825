"""An agent session: the conversation across user turns, its tools' state, persistence and feedback.

Builds the turn dependencies once, runs turns, stores every message and tool execution in the session
store, and turns ``/good`` / ``/bad`` into stored feedback plus an outcome record in the model log. A session
can be resumed from the store. Non-goals: the turn loop itself (``loop.py``), rendering.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from entropi.agent.context import ContextManager, Conversation
from entropi.agent.loop import Emit, TurnDeps, TurnOutcome, run_turn
from entropi.agent.model import ModelClient
from entropi.agent.permissions import Approver, PermissionPolicy
from entropi.agent.session_store import SESSIONS_FILE, SessionStore
from entropi.agent.tools.base import ToolContext
from entropi.agent.tools.files import FileTracker
from entropi.agent.tools.registry import ToolRegistry
from entropi.agent.tools.todo import TodoList
from entropi.config.schema import EntropiConfig
from entropi.modellog import OutcomeRecord

_KINDS = {"user": "user", "assistant": "assistant", "tool": "tool"}


def _kind(message: dict[str, Any]) -> str:
    content = str(message.get("content", ""))
    if message.get("role") == "user" and content.startswith("[entropi] "):
        return "repair"
    return _KINDS.get(str(message.get("role")), "user")


class AgentSession:
    """One conversation with the agent in one project."""

    def __init__(
        self,
        config: EntropiConfig,
        project_root: Path,
        model: ModelClient,
        *,
        approver: Approver,
        emit: Emit | None = None,
        store: SessionStore | None = None,
        resume: str | None = None,
        title: str = "",
    ) -> None:
        self.config = config
        self.project_root = project_root
        self.model = model
        self.store = store if store is not None else SessionStore(project_root / SESSIONS_FILE)
        self.conversation = Conversation()
        self.turn_index = 0
        if resume:
            self._load(resume)
            self.session_id = resume
        else:
            self.session_id = self.store.create_session(title)
        model.session_id = self.session_id
        self.policy = PermissionPolicy(config.permissions, project_root=project_root)
        self.tool_ctx = ToolContext(
            project_root=project_root,
            config=config.tools,
            files=FileTracker(),
            todos=TodoList(),
            tier=config.router.default_tier,
        )
        self.deps = TurnDeps(
            model=model,
            registry=ToolRegistry.default(),
            policy=self.policy,
            approver=approver,
            context=ContextManager(config.context, model.n_ctx, model.count_tokens),
            tool_ctx=self.tool_ctx,
            limits=config.agent,
            emit=emit or (lambda _e: None),
        )

    def _load(self, session_id: str) -> None:
        messages = self.store.message_rows(session_id)
        if not messages:
            raise ValueError(f"session {session_id!r} has no messages (or does not exist)")
        for turn, message in messages:
            self.conversation.add(message, turn, _kind(message))
        self.turn_index = max(turn for turn, _ in messages) + 1

    def ask(
        self, text: str, *, tier: str | None = None, cancel: threading.Event | None = None
    ) -> TurnOutcome:
        """Run one user turn and persist everything it added to the conversation."""
        start = len(self.conversation.entries)
        outcome = run_turn(self.deps, self.conversation, self.turn_index, text, tier=tier, cancel=cancel)
        for entry in self.conversation.entries[start:]:
            self.store.append_message(self.session_id, entry.turn, entry.message)
        for call in outcome.tool_calls:
            self.store.record_tool(
                self.session_id,
                self.turn_index,
                call["id"],
                call["name"],
                call["arguments"],
                call["status"],
                call["content"],
                call["duration_ms"],
                call["decision"],
            )
        self.turn_index += 1
        return outcome

    def feedback(self, signal: str, detail: str | None = None) -> None:
        """Store ``good``/``bad`` for the last turn and log it as an outcome signal."""
        if signal not in ("good", "bad"):
            raise ValueError("feedback is 'good' or 'bad'")
        turn = max(self.turn_index - 1, 0)
        self.store.add_feedback(self.session_id, turn, signal, detail)
        if self.model.log.enabled:
            self.model.log.append(
                OutcomeRecord(
                    session_id=self.session_id,
                    turn_index=turn,
                    signal=signal,
                    passed=signal == "good",
                    detail=detail,
                )
            )

    def close(self) -> None:
        self.store.close()
