"""The entropi Textual app: chat view, todo panel, prompt, status bar; turns run in a worker thread.

The worker runs ``AgentSession.ask`` and posts every agent event to the app; the app only renders them.
Lines typed while a turn runs are queued; Esc sets the turn's cancel event (the agent keeps and logs the
partial answer). The model client and the session factory are injected: ``entropi tui`` passes the real
Runtime, tests a ScriptedModel. Non-goals: inference, tools, permissions (the agent owns them).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.console import RenderableType
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from entropi.agent import events as ev
from entropi.agent.model import ModelClient
from entropi.agent.session import AgentSession
from entropi.agent.session_store import SessionStoreError
from entropi.config.schema import EntropiConfig
from entropi.ui import commands
from entropi.ui.approver import TuiApprover
from entropi.ui.history import HISTORY_FILE, InputHistory
from entropi.ui.messages import AgentEvent, ApprovalNeeded, TurnDone
from entropi.ui.model_info import model_name
from entropi.ui.screens.approval import ApprovalScreen
from entropi.ui.session_slot import SessionFactory, SessionSlot, default_factory
from entropi.ui.transcript import transcript_turns
from entropi.ui.widgets.notice import Notice, NoticeKind
from entropi.ui.widgets.prompt_input import PromptInput
from entropi.ui.widgets.status_bar import StatusBar
from entropi.ui.widgets.thinking import ThinkingBlock
from entropi.ui.widgets.todo_panel import TodoPanel
from entropi.ui.widgets.turn_view import TurnView

log = logging.getLogger(__name__)
QUIT_WAIT_S = 30.0


class EntropiApp(App[None]):
    CSS_PATH = "entropi.tcss"
    TITLE = "entropi"
    COMMANDS = App.COMMANDS | {commands.SlashCommandsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "interrupt", "Interrupt", id="interrupt"),
        Binding("ctrl+t", "toggle_thinking", "Thinking", id="toggle_thinking"),
        Binding("f2", "toggle_plan", "Plan mode", id="toggle_plan"),
    ]

    def __init__(
        self,
        config: EntropiConfig,
        project_root: Path,
        model: ModelClient,
        *,
        session_factory: SessionFactory | None = None,
        resume: str | None = None,
        history: InputHistory | None = None,
    ) -> None:
        """``resume``: a session id, "" for the latest session, None to start fresh."""
        super().__init__()
        self.config = config
        self.project_root = project_root
        self.model = model
        self._resume_on_start = resume
        self.history = history if history is not None else InputHistory(project_root / HISTORY_FILE)
        self.approver = TuiApprover(self)
        self.sessions = SessionSlot(
            session_factory or default_factory(config, project_root, model),
            approver=self.approver,
            emit=self._emit,
            plan_mode=config.permissions.plan_mode,
            project_root=project_root,
        )
        self.busy = False
        self.queue: list[str] = []
        self.tier_override: str | None = None
        self.show_thinking = False
        self._last_tier: str = config.router.default_tier
        self._view: TurnView | None = None
        self._cancel: threading.Event | None = None
        self._worker: Worker[None] | None = None
        self._quitting = False

    # -- layout ------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield VerticalScroll(id="chat")
            yield TodoPanel(id="todos")
        suggester = SuggestFromList(commands.suggestions(), case_sensitive=False)
        yield PromptInput(self.history, suggester=suggester, id="prompt")
        yield StatusBar(model=model_name(self.model), n_ctx=self.model.n_ctx, id="status")
        yield Footer()

    @property
    def chat(self) -> VerticalScroll:
        return self.query_one("#chat", VerticalScroll)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def todos(self) -> TodoPanel:
        return self.query_one(TodoPanel)

    @property
    def session(self) -> AgentSession | None:
        return self.sessions.current

    @property
    def session_id(self) -> str | None:
        return self.sessions.id

    @property
    def plan_mode(self) -> bool:
        return self.sessions.plan_mode

    async def on_mount(self) -> None:
        self.chat.anchor()
        self.status.set_plan(self.plan_mode)
        await self.notice(
            f"entropi · {model_name(self.model)} · {self.project_root.name} · /help lists commands"
        )
        for problem in self.history.problems:
            await self.notice(problem, "warn")
        if self._resume_on_start is not None:  # "" → the latest session, as /resume does
            await commands.run(self, f"/resume {self._resume_on_start}")
        self.query_one(PromptInput).focus()

    async def notice(self, content: RenderableType, kind: NoticeKind = "info") -> None:
        """A line in the chat (inside the running turn while there is one)."""
        await (self._view or self.chat).mount(Notice(content, kind))

    # -- sessions ----------------------------------------------------------------------------------
    async def resume(self, session_id: str) -> None:
        """Replace the current session with a stored one and show its history."""
        try:
            session = self.sessions.open(resume=session_id)
        except (SessionStoreError, ValueError) as exc:
            await self.notice(f"cannot resume {session_id}: {exc}", "error")
            return
        await self._reset_view()
        executions = session.store.tool_executions(session.session_id)
        await self.chat.mount_all(transcript_turns(session.conversation.entries, executions))
        self.status.set_context(self.context_tokens())
        count = len(session.conversation.entries)
        await self.notice(f"resumed session {session.session_id} ({count} messages)")

    async def new_session(self) -> None:
        """``/clear``: forget the conversation on screen; the next message starts a new stored session."""
        self.sessions.close()
        await self._reset_view()
        await self.notice("new session")

    async def _reset_view(self) -> None:
        await self.chat.remove_children()
        await self.todos.show([])
        self.status.set_context(0)
        self.status.set_speed(None)

    def context_tokens(self) -> int:
        """Prompt tokens the current conversation needs on the last tier used."""
        if self.session is None:
            return 0
        return self.model.count_tokens(self._last_tier, self.session.conversation.messages())

    # -- turns -------------------------------------------------------------------------------------
    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "prompt":
            return
        event.stop()
        text = event.value.strip()
        event.input.value = ""
        if not text:
            return
        self.history.add(text)
        if text.startswith("//"):
            text = text[1:]
        elif text.startswith("/"):
            await commands.run(self, text)
            return
        await self.send(text)

    async def send(self, text: str) -> None:
        """Start a turn with ``text``, or queue it while one runs."""
        if self.busy:
            self.queue.append(text)
            self.status.set_queue(len(self.queue))
            await self.notice(f"queued: {text}")
            return
        if self.session is None:
            try:
                self.sessions.open(title=text[:80])
            except (SessionStoreError, ValueError) as exc:
                await self.notice(f"cannot open a session: {exc}", "error")
                return
        await self.show_turn(text)
        self._cancel = threading.Event()
        self._set_busy(True)
        work = partial(self._work, self.session, text, self.tier_override, self._cancel)
        self._worker = self.run_worker(work, name="turn", group="turn", thread=True, exit_on_error=False)

    async def show_turn(self, text: str) -> TurnView:
        """Add the view that the coming turn's events render into."""
        self._view = TurnView(text, show_thinking=self.show_thinking)
        await self.chat.mount(self._view)
        return self._view

    def _work(self, session: AgentSession, text: str, tier: str | None, cancel: threading.Event) -> None:
        """On the worker thread: run the turn; the outcome or the failure goes back as a message."""
        try:
            outcome = session.ask(text, tier=tier, cancel=cancel)
        except Exception as exc:
            log.exception("turn failed")
            self.post_message(TurnDone(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(TurnDone(outcome))

    def _emit(self, event: ev.Event) -> None:
        self.post_message(AgentEvent(event))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.status.set_state("working…" if busy else "ready")

    async def on_agent_event(self, message: AgentEvent) -> None:
        event = message.event
        if self._view is not None:
            await self._view.handle(event)
        match event:
            case ev.TurnStarted() | ev.TierChanged():
                self._last_tier = event.tier
            case ev.ModelCallFinished():
                t = event.timings
                self.status.set_context(int(t.get("prompt_tokens", 0) + t.get("completion_tokens", 0)))
                self.status.set_speed(t.get("decode_tok_s"))
            case ev.ContextCompacted():
                self.status.set_context(event.tokens_after)
            case ev.TodoUpdated():
                await self.todos.show(event.todos)

    async def on_turn_done(self, message: TurnDone) -> None:
        if message.error is not None:
            await self.notice(f"the turn failed: {message.error}", "error")
        self._view = None
        self._set_busy(False)
        if self.queue and not self._quitting:
            text = self.queue.pop(0)
            self.status.set_queue(len(self.queue))
            await self.send(text)

    def on_approval_needed(self, message: ApprovalNeeded) -> None:
        if self._quitting:
            message.settle(None)
            return
        self.push_screen(ApprovalScreen(message.request), message.settle)

    # -- actions -----------------------------------------------------------------------------------
    def action_interrupt(self) -> None:
        """Esc: stop the running turn; queued lines go back to the prompt instead of being sent."""
        if not self.busy or self._cancel is None:
            return
        self._cancel.set()
        self.status.set_state("interrupting…")
        if self.queue:
            prompt = self.query_one(PromptInput)
            prompt.value = " ".join([*self.queue, prompt.value]).strip()
            prompt.cursor_position = len(prompt.value)
            self.queue.clear()
            self.status.set_queue(0)

    def action_toggle_thinking(self) -> None:
        self.set_thinking(not self.show_thinking)

    def action_toggle_plan(self) -> None:
        self.set_plan(not self.plan_mode)
        self.notify("plan mode on: read-only" if self.plan_mode else "plan mode off")

    def set_thinking(self, show: bool) -> None:
        self.show_thinking = show
        for block in self.query(ThinkingBlock):
            block.collapsed = not show
        for view in self.query(TurnView):
            view.show_thinking = show

    def set_plan(self, on: bool) -> None:
        self.sessions.set_plan(on)
        self.status.set_plan(on)

    def set_tier(self, tier: str | None) -> None:
        self.tier_override = tier
        self.status.set_tier(tier)

    async def action_quit(self) -> None:
        """Stop the running turn (denying a pending approval), let it finish, close the session, exit."""
        self._quitting = True
        self.queue.clear()
        self.approver.close()
        if self._cancel is not None:
            self._cancel.set()
        if self._worker is not None and self._worker.is_running:
            try:
                await asyncio.wait_for(self._worker.wait(), QUIT_WAIT_S)
            except TimeoutError:
                log.warning("the running turn did not stop in %.0f s; exiting anyway", QUIT_WAIT_S)
            except (WorkerCancelled, WorkerFailed):
                pass
        if not (self._worker and self._worker.is_running):
            self.sessions.close()
        self.exit()

    def on_unmount(self) -> None:
        self._quitting = True
        self.approver.close()
        if self._cancel is not None:
            self._cancel.set()
        if not (self._worker and self._worker.is_running):
            self.sessions.close()
