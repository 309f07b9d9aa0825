"""A one-off line in the chat: command output, a repair, a compaction, an error (kind sets the style)."""

from __future__ import annotations

from typing import Literal

from rich.console import RenderableType
from textual.widgets import Static

NoticeKind = Literal["info", "warn", "error"]


class Notice(Static):
    def __init__(self, content: RenderableType, kind: NoticeKind = "info") -> None:
        super().__init__(content, markup=False, classes=f"notice notice-{kind}")
        self.kind = kind
