"""`entropi chat`: a plain terminal chat on the runtime (the Textual TUI replaces it as the default UI).

Each line is routed (or sent to the tier fixed with ``/tier``), streamed, and logged; Ctrl-C stops the
answer being generated and keeps what was produced. Tool calls are shown, not executed, until the agent
loop lands. Non-goals: rich layout, approvals, sessions.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

from entropi.commands.common import add_runtime_options, err, open_runtime
from entropi.config import TIERS

HELP = "/tier auto|" + "|".join(TIERS) + " · /clear · /quit · Ctrl-C stops an answer, Ctrl-D quits"


def _run_turn(runtime, tier, messages, decision, turn_index):  # -> TurnResult
    cancel = threading.Event()
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = runtime.turn(
                tier,
                messages,
                routing=decision,
                turn_index=turn_index,
                on_text=lambda p: (sys.stdout.write(p), sys.stdout.flush()),
                cancel=cancel,
            )
        except Exception as exc:
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
        raise box["error"]
    return box["result"]


def cmd_chat(args: argparse.Namespace) -> int:
    with open_runtime(args) as runtime:
        err.print(f"[bold]entropi[/bold] on {runtime.model_id} · {HELP}")
        fixed: str | None = None
        messages: list[dict[str, Any]] = []
        turn_index = 0
        while True:
            try:
                line = input("› ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if not line:
                continue
            if line in ("/quit", "/exit"):
                return 0
            if line == "/clear":
                messages.clear()
                continue
            if line.startswith("/tier"):
                choice = line.removeprefix("/tier").strip() or "auto"
                if choice != "auto" and choice not in TIERS:
                    err.print(f"[red]unknown tier {choice!r}[/red] · {HELP}")
                    continue
                fixed = None if choice == "auto" else choice
                err.print(f"[dim]tier: {choice}[/dim]")
                continue
            decision = runtime.route(line, override=fixed)
            err.print(
                f"[dim]{decision.tier} · adapter {runtime.adapters.statuses[decision.tier].label}[/dim]"
            )
            messages.append({"role": "user", "content": line})
            result = _run_turn(runtime, decision.tier, messages, decision, turn_index)
            messages.append(result.parsed.to_assistant_message())
            for call in result.parsed.tool_calls:
                err.print(
                    f"[cyan]tool call[/cyan] {call.name} {json.dumps(call.arguments)} "
                    "[dim](not executed)[/dim]"
                )
            turn_index += 1


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("chat", help="chat in the terminal (default when entropi runs with no command)")
    add_runtime_options(p)
    p.set_defaults(func=cmd_chat)
