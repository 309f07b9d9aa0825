"""The sessions picker: past conversations of this project, newest first; Enter resumes, Escape closes.

Non-goals: reading the store (the caller passes the list) or deleting sessions.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from entropi.agent.session_store import SessionInfo


def _line(info: SessionInfo, current: str | None) -> str:
    title = " ".join(info.title.split()) or "(untitled)"
    when = info.updated_at[:16].replace("T", " ")
    mark = "  (current)" if info.id == current else ""
    return f"{title[:50]:<50}  {when}  {info.message_count:>4} msgs  {info.id}{mark}"


class SessionsScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close", id="sessions.close")]

    def __init__(self, sessions: list[SessionInfo], current: str | None) -> None:
        super().__init__()
        self.sessions = sessions
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="sessions-dialog"):
            yield Label("Sessions — Enter resumes, Escape closes", id="sessions-title")
            if self.sessions:
                yield OptionList(*(Option(Text(_line(s, self.current)), id=s.id) for s in self.sessions))
            else:
                yield Label("No sessions in this project yet.", id="sessions-empty")

    def on_mount(self) -> None:
        if self.sessions:
            self.query_one(OptionList).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)
