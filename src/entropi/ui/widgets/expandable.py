"""A one-line header that shows or hides the body under it (click the header, or Enter / Space on it).

Used for reasoning blocks and tool cards. The header is a plain Static updated in place, so a title that
changes length (running → ok · 12 ms) redraws like any other text. Non-goals: animation, nesting rules.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static


class Expandable(Vertical, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "toggle", "Expand / collapse", show=False)
    ]
    collapsed: reactive[bool] = reactive(True, init=False)

    def __init__(self, *body: Widget, title: str, collapsed: bool = True, classes: str = "") -> None:
        super().__init__(classes=f"expandable {classes}".strip())
        self._title = title
        self._header = Static("", markup=False, classes="expandable-title")
        self._body = Vertical(*body, classes="expandable-body")
        self.set_reactive(Expandable.collapsed, collapsed)
        self._show()

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._body

    @property
    def title(self) -> str:
        return self._title

    @title.setter
    def title(self, value: str) -> None:
        self._title = value
        self._show()

    def watch_collapsed(self) -> None:
        self._show()

    def action_toggle(self) -> None:
        self.collapsed = not self.collapsed

    def on_click(self, event: events.Click) -> None:
        if event.widget is self._header:
            event.stop()
            self.action_toggle()

    def _show(self) -> None:
        self._header.update(f"{'▶' if self.collapsed else '▼'} {self._title}")
        self.set_class(self.collapsed, "-collapsed")
