"""`entropi chat`: the agent in a plain terminal (the Textual TUI is the richer default UI).

Each line runs one agent turn (routed, or on the tier fixed with ``/tier``); answers stream, tool calls show
as they run, approvals are asked at the prompt, Ctrl-C stops the turn (what was produced is kept and logged).
Non-goals: layout, panels, mouse — that is the TUI.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from rich.markup import escape

from entropi.agent import events as ev
from entropi.agent.permissions import ApprovalDecision, ApprovalRequest
from entropi.commands.common import add_runtime_options, err, open_runtime
from entropi.config import TIERS

HELP = (
    "/tier auto|" + "|".join(TIERS) + " · /good · /bad [why] · /plan on|off · /clear · /quit · "
    "Ctrl-C stops a turn, Ctrl-D quits"
)
_ANSWERS = {"y": "allow_once", "a": "allow_always", "n": "deny", "f": "deny_feedback"}


def terminal_approver(request: ApprovalRequest) -> ApprovalDecision:
    """Ask at the terminal: y(es) / a(lways) / n(o) / f(eedback)."""
    err.print(f"\n[bold yellow]approve[/bold yellow] {escape(request.tool)} {escape(request.subject)}")
    if request.preview:
        err.print(escape(request.preview), style="dim", highlight=False)
    while True:
        try:
            choice = input("allow? [y]es once / [a]lways / [n]o / [f]eedback: ").strip().lower()[:1]
        except EOFError:
            return ApprovalDecision("deny", "no answer")
        if choice in _ANSWERS:
            feedback = input("feedback for the model: ").strip() if choice == "f" else None
            return ApprovalDecision(_ANSWERS[choice], feedback)


def _printer(event: ev.Event) -> None:
    if isinstance(event, ev.StreamDelta):
        if event.channel == "content":
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif event.channel == "thinking":
            err.print(event.text, end="", style="dim", highlight=False, markup=False)
    elif isinstance(event, ev.TurnStarted):
        err.print(f"[dim]{event.tier}[/dim]")
    elif isinstance(event, ev.ToolCallStarted):
        err.print(f"\n[cyan]⏺ {escape(event.name)}[/cyan] [dim]{escape(str(event.arguments))[:200]}[/dim]")
    elif isinstance(event, ev.ToolCallFinished):
        mark = (
            "[green]ok[/green]"
            if event.status == "ok"
            else f"[red]{escape(event.error_code or 'error')}[/red]"
        )
        err.print(f"  {mark} [dim]{event.duration_ms:.0f} ms[/dim]")
    elif isinstance(event, ev.TierChanged):
        err.print(f"\n[magenta]handoff → {event.tier}[/magenta]")


def _run(session, line: str, tier: str | None) -> None:
    cancel = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["outcome"] = session.ask(line, tier=tier, cancel=cancel)
        except Exception as exc:  # surfaced below, the chat goes on
            box["error"] = exc

    worker = threading.Thread(target=work, name="entropi-turn", daemon=True)
    worker.start()
    while worker.is_alive():
        try:
            worker.join(0.1)
        except KeyboardInterrupt:
            cancel.set()
    print()
    if "error" in box:
        err.print(f"[red]error:[/red] {escape(str(box['error']))}")
    elif box["outcome"].stop_reason != "answer":
        err.print(f"[dim]({box['outcome'].stop_reason})[/dim]")


def cmd_chat(args: argparse.Namespace) -> int:
    from entropi.agent.session import AgentSession

    with open_runtime(args) as runtime:

        def new_session() -> AgentSession:
            return AgentSession(
                runtime.config,
                args.project_root,
                runtime,
                approver=terminal_approver,
                emit=_printer,
                title="chat",
            )

        session = new_session()
        err.print(
            f"[bold]entropi[/bold] on {runtime.model_id} · session {session.session_id} · {escape(HELP)}"
        )
        fixed: str | None = None
        try:
            while True:
                try:
                    line = input("› ").strip()
                except (EOFError, KeyboardInterrupt):
                    print()
                    return 0
                command, _, rest = line.partition(" ")
                if not line:
                    continue
                if command in ("/quit", "/exit"):
                    return 0
                if command in ("/good", "/bad"):
                    session.feedback(command[1:], rest or None)
                    err.print(f"[dim]recorded {command[1:]}[/dim]")
                elif command == "/plan":
                    session.policy.plan_mode = rest.strip() != "off"
                    err.print(f"[dim]plan mode {'on' if session.policy.plan_mode else 'off'}[/dim]")
                elif command == "/clear":
                    session.close()
                    session = new_session()
                    err.print(f"[dim]new session {session.session_id}[/dim]")
                elif command == "/tier":
                    choice = rest.strip() or "auto"
                    if choice != "auto" and choice not in TIERS:
                        err.print(f"[red]unknown tier {escape(choice)}[/red] · {escape(HELP)}")
                        continue
                    fixed = None if choice == "auto" else choice
                    err.print(f"[dim]tier: {choice}[/dim]")
                elif command.startswith("/"):
                    err.print(escape(HELP))
                else:
                    _run(session, line, fixed)
        finally:
            session.close()


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("chat", help="the agent in a plain terminal")
    add_runtime_options(p)
    p.set_defaults(func=cmd_chat)
