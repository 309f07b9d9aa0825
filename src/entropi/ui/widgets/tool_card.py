"""A tool call as a card: name and arguments, running / ok / error, duration, and the result on expand.

Non-goals: running the tool or judging its result (the ToolCall* events carry status and content).
"""

from __future__ import annotations

import json
from typing import Any

from textual.widgets import Static

from entropi.ui.widgets.expandable import Expandable

RESULT_MAX_CHARS = 8_000
SUMMARY_MAX_CHARS = 60
_DECISIONS = {
    "deny": "denied by you",
    "deny_feedback": "denied by you, with feedback",
    "auto_deny": "refused by a rule",
    "allow_always": "always allowed",
}


def _summary(arguments: dict[str, Any]) -> str:
    parts = [f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in arguments.items()]
    text = " ".join(parts)
    return text if len(text) <= SUMMARY_MAX_CHARS else text[: SUMMARY_MAX_CHARS - 1] + "…"


def format_ms(ms: float) -> str:
    if ms < 1:
        return "<1 ms"
    return f"{ms:.0f} ms" if ms < 10_000 else f"{ms / 1000:.1f} s"


class ToolCard(Expandable):
    def __init__(self, call_id: str, name: str, arguments: dict[str, Any]) -> None:
        self.call_id = call_id
        self.tool_name = name
        self.status = "running"
        self._summary = _summary(arguments)
        args_text = json.dumps(arguments, ensure_ascii=False, indent=2)
        self._result = Static("", markup=False, classes="tool-result")
        super().__init__(
            Static(args_text, markup=False, classes="tool-args"),
            self._result,
            title=self._heading("running…"),
            collapsed=True,
            classes="tool-card running",
        )

    def _heading(self, state: str) -> str:
        return " · ".join(part for part in (f"⏺ {self.tool_name}", state, self._summary) if part)

    @property
    def result_text(self) -> str:
        return str(self._result.content)

    def finish(
        self, status: str, content: str, duration_ms: float, error_code: str | None, decision: str | None
    ) -> None:
        self.status = "ok" if status == "ok" else "error"
        self.remove_class("running")
        self.add_class(self.status)
        mark = "✓ ok" if self.status == "ok" else f"✗ {error_code or 'error'}"
        note = f" · {_DECISIONS[decision]}" if decision in _DECISIONS else ""
        self.title = self._heading(f"{mark} · {format_ms(duration_ms)}{note}")
        if len(content) > RESULT_MAX_CHARS:
            content = content[:RESULT_MAX_CHARS] + f"\n[… {len(content) - RESULT_MAX_CHARS} more characters]"
        self._result.update(content)
