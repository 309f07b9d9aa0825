"""The prompt line: submit with Enter, Up / Down step through the input history."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.widgets import Input

from entropi.ui.history import InputHistory


class PromptInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history_older", "Older input", show=False),
        Binding("down", "history_newer", "Newer input", show=False),
    ]

    def __init__(self, history: InputHistory, *, suggester: Suggester | None = None, **kwargs) -> None:
        super().__init__(
            placeholder="Ask entropi · /help lists commands · Esc interrupts", suggester=suggester, **kwargs
        )
        self.history = history

    def action_history_older(self) -> None:
        entry = self.history.older(self.value)
        if entry is not None:
            self.value = entry
            self.cursor_position = len(entry)

    def action_history_newer(self) -> None:
        entry = self.history.newer()
        if entry is not None:
            self.value = entry
            self.cursor_position = len(entry)
