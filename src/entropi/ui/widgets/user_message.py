"""The user's message at the top of a turn (plain text: markup in it is shown, not interpreted)."""

from __future__ import annotations

from textual.widgets import Static


class UserMessage(Static):
    def __init__(self, text: str) -> None:
        super().__init__(f"› {text}", markup=False, classes="user-message")
        self.text = text
