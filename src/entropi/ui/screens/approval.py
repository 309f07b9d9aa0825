"""The approval modal for a tool call that asks: allow once, always, deny, or deny with feedback.

Writes and edits show their unified diff, bash its command, other tools their arguments. Nothing is focused
that Enter would trigger, so a line typed while the model worked cannot approve a call by accident.
Non-goals: deciding what needs approval (the permission policy) or storing "always" rules (the agent does).
"""

from __future__ import annotations

import json
from typing import ClassVar

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from entropi.agent.permissions import BASH_TOOL, ApprovalDecision, ApprovalRequest


def _preview(request: ApprovalRequest) -> Syntax:
    if request.preview is not None and request.tool == BASH_TOOL:
        return Syntax(request.preview, "bash", word_wrap=True, background_color="default")
    if request.preview is not None:
        return Syntax(request.preview, "diff", word_wrap=True, background_color="default")
    text = json.dumps(request.args, ensure_ascii=False, indent=2)
    return Syntax(text, "json", word_wrap=True, background_color="default")


class ApprovalScreen(ModalScreen[ApprovalDecision]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "decide('allow_once')", "Allow once", id="approval.allow_once"),
        Binding("a", "decide('allow_always')", "Always", id="approval.allow_always"),
        Binding("n,escape", "decide('deny')", "Deny", id="approval.deny"),
        Binding("f", "feedback", "Deny with feedback", id="approval.feedback"),
    ]

    def __init__(self, request: ApprovalRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        req = self.request
        with Vertical(id="approval-dialog"):
            yield Label(f"Allow {req.tool}?", markup=False, id="approval-title")
            if req.subject:
                yield Label(req.subject, markup=False, id="approval-subject")
            yield Label(req.reason, markup=False, id="approval-reason")
            with VerticalScroll(id="approval-preview"):
                yield Static(_preview(req), id="approval-preview-text")
            with Horizontal(id="approval-buttons"):
                yield Button("Allow once (y)", id="allow_once", variant="success", compact=True)
                yield Button("Always (a)", id="allow_always", variant="primary", compact=True)
                yield Button("Deny (n/Esc)", id="deny", variant="error", compact=True)
                yield Button("Deny + feedback (f)", id="deny_feedback", variant="warning", compact=True)
            yield Input(placeholder="what should the model do instead? Enter sends", id="approval-feedback")
            yield Label("", markup=False, id="approval-hint")

    def on_mount(self) -> None:
        self.query_one("#approval-feedback", Input).display = False
        self.query_one("#approval-preview").focus()

    def action_decide(self, decision: str) -> None:
        self.dismiss(ApprovalDecision(decision))  # type: ignore[arg-type]

    def action_feedback(self) -> None:
        box = self.query_one("#approval-feedback", Input)
        box.display = True
        box.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "deny_feedback":
            self.action_feedback()
        else:
            self.action_decide(str(event.button.id))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.query_one("#approval-hint", Label).update(
                "Type what the model should do instead, or press Escape to deny without feedback."
            )
            return
        self.dismiss(ApprovalDecision("deny_feedback", feedback=text))
