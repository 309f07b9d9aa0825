"""The app's current agent session: opened (new or resumed) through an injectable factory, with the plan
mode carried from one session to the next; listing the project's sessions; closing.

Non-goals: rendering, running turns (the app), the session itself (``entropi.agent.session``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from entropi.agent.loop import Emit
from entropi.agent.model import ModelClient
from entropi.agent.permissions import Approver
from entropi.agent.session import AgentSession
from entropi.agent.session_store import SESSIONS_FILE, SessionInfo, SessionStore
from entropi.config.schema import EntropiConfig


class SessionFactory(Protocol):
    """Builds the agent session the app talks to (``resume``: a stored session id, or None for a new one)."""

    def __call__(self, *, approver: Approver, emit: Emit, resume: str | None, title: str) -> AgentSession: ...


def default_factory(config: EntropiConfig, project_root: Path, model: ModelClient) -> SessionFactory:
    """Sessions on ``model`` stored in the project's own session database."""

    def build(*, approver: Approver, emit: Emit, resume: str | None, title: str) -> AgentSession:
        return AgentSession(
            config, project_root, model, approver=approver, emit=emit, resume=resume, title=title
        )

    return build


class SessionSlot:
    """Holds at most one open session; ``open`` raises (SessionStoreError, ValueError) and keeps the old
    one when the new one cannot be opened."""

    def __init__(
        self, factory: SessionFactory, *, approver: Approver, emit: Emit, plan_mode: bool, project_root: Path
    ) -> None:
        self._factory = factory
        self._approver = approver
        self._emit = emit
        self.plan_mode = plan_mode
        self.project_root = project_root
        self.current: AgentSession | None = None

    @property
    def id(self) -> str | None:
        return self.current.session_id if self.current else None

    def open(self, *, resume: str | None = None, title: str = "") -> AgentSession:
        session = self._factory(approver=self._approver, emit=self._emit, resume=resume, title=title)
        session.policy.plan_mode = self.plan_mode
        self.close()
        self.current = session
        return session

    def set_plan(self, on: bool) -> None:
        self.plan_mode = on
        if self.current is not None:
            self.current.policy.plan_mode = on

    def list(self) -> list[SessionInfo]:
        """The project's sessions, most recently active first."""
        if self.current is not None:
            return self.current.store.list_sessions()
        with SessionStore(self.project_root / SESSIONS_FILE) as store:
            return store.list_sessions()

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
