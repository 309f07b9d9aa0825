"""The model's reasoning for one model call: a collapsible, dimmed block that fills as tokens stream.

Pieces are buffered and the text is redrawn at most ``REDRAW_S`` apart, so a fast stream costs a few
redraws a second. Non-goals: splitting reasoning from the answer (the agent's stream splitter does that).
"""

from __future__ import annotations

from textual.widgets import Static

from entropi.ui.widgets.expandable import Expandable

REDRAW_S = 1 / 20


class ThinkingBlock(Expandable):
    def __init__(self, *, collapsed: bool, text: str = "") -> None:
        """``text``: reasoning already complete (a resumed session); otherwise it arrives by ``feed``."""
        self._text_view = Static(text.strip(), markup=False, classes="thinking-text")
        super().__init__(self._text_view, title="thinking…", collapsed=collapsed, classes="thinking")
        self._pieces: list[str] = [text]
        self._redraw_pending = False
        if text:
            self.title = self._done_title()

    @property
    def text(self) -> str:
        return "".join(self._pieces).strip()

    def feed(self, piece: str) -> None:
        self._pieces.append(piece)
        if not self._redraw_pending:
            self._redraw_pending = True
            self.set_timer(REDRAW_S, self._redraw)

    def finish(self) -> None:
        """The call ended: draw the whole text and say how long the reasoning was."""
        self._redraw()
        self.title = self._done_title()

    def _done_title(self) -> str:
        words = len(self.text.split())
        return f"thought · {words} word{'s' if words != 1 else ''}"

    def _redraw(self) -> None:
        self._redraw_pending = False
        self._text_view.update(self.text)
