"""The answer of one model call as Markdown, streamed while it is generated and rendered whole at the end.

Streaming goes through ``Markdown.get_stream`` (it batches fragments when rendering falls behind); ``finish``
stops the stream and does one full update, because a half-open code fence can drop content mid-stream.
Non-goals: telling answer text from reasoning or tool calls (the agent's events already did).
"""

from __future__ import annotations

from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream


class Answer(Markdown):
    def __init__(self, text: str = "") -> None:
        super().__init__(text, classes="answer")
        self._pieces: list[str] = [text]
        self._stream: MarkdownStream | None = None

    @property
    def text(self) -> str:
        return "".join(self._pieces).strip()

    async def feed(self, piece: str) -> None:
        self._pieces.append(piece)
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        await self._stream.write(piece)

    async def finish(self) -> str:
        """Stop streaming and render the whole text once; returns it."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        await self.update(self.text)
        return self.text
