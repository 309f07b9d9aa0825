"""`entropi ask "…"`: one headless agent turn — route, generate, run tools, repeat, print the answer.

Approvals come from ``--yes`` or the allow rules; anything that would ask is denied with a message the model
sees. ``--json`` prints one transcript object (turns, tool calls, results, final answer, timings).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from entropi.agent import events as ev
from entropi.agent.permissions import HeadlessApprover
from entropi.agent.session_store import SessionStoreError
from entropi.commands.common import (
    CommandError,
    add_runtime_options,
    add_session_options,
    err,
    open_runtime,
    read_text_arg,
)
from entropi.config import TIERS


def _printer(show_thinking: bool):
    def emit(event: ev.Event) -> None:
        if isinstance(event, ev.StreamDelta):
            if event.channel == "content":
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif event.channel == "thinking" and show_thinking:
                err.print(event.text, end="", style="dim", highlight=False, markup=False)
        elif isinstance(event, ev.TurnStarted):
            scores = " ".join(f"{t}={s:.2f}" for t, s in event.scores.items())
            err.print(f"[bold]{event.tier}[/bold] [dim]{'override' if event.overridden else scores}[/dim]")
        elif isinstance(event, ev.ToolCallFinished):
            mark = (
                "[green]ok[/green]" if event.status == "ok" else f"[red]{event.error_code or 'error'}[/red]"
            )
            err.print(f"\n[cyan]⏺ {event.name}[/cyan] {mark} [dim]{event.duration_ms:.0f} ms[/dim]")
        elif isinstance(event, ev.RepairRequested):
            err.print(f"\n[yellow]repair:[/yellow] {'; '.join(event.problems)}")
        elif isinstance(event, ev.TierChanged):
            err.print(f"\n[magenta]handoff → {event.tier}[/magenta] [dim]{event.reason}[/dim]")

    return emit


def cmd_ask(args: argparse.Namespace) -> int:
    from entropi.agent.session import AgentSession

    prompt = read_text_arg(args.prompt)
    with open_runtime(args, with_router=args.tier is None) as runtime:
        config = runtime.config
        resume = None
        if args.resume is not None:
            from entropi.agent.session_store import SESSIONS_FILE, SessionStore

            store = SessionStore(args.project_root / SESSIONS_FILE)
            resume = args.resume or store.latest_session()
            store.close()
            if resume is None:
                raise CommandError("there is no session to resume")
        started = time.perf_counter()
        try:
            session = AgentSession(
                config,
                args.project_root,
                runtime,
                approver=HeadlessApprover(args.yes),
                emit=None if args.json else _printer(args.thinking),
                resume=resume,
                title=prompt[:80],
            )
        except (SessionStoreError, ValueError) as exc:
            raise CommandError(f"cannot open the session: {exc}") from exc
        try:
            outcome = session.ask(prompt, tier=args.tier)
        finally:
            session.close()
    if args.json:
        transcript = {
            "session_id": session.session_id,
            "answer": outcome.answer,
            "stop_reason": outcome.stop_reason,
            "tier": outcome.tier,
            "turns": [outcome.__dict__],
            "wall_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        print(json.dumps(transcript, ensure_ascii=False, default=str))
        return 0 if outcome.stop_reason == "answer" else 1
    print()
    err.print(
        f"[dim]{outcome.stop_reason} · {len(outcome.model_calls)} model calls · "
        f"{len(outcome.tool_calls)} tool calls · session {session.session_id}[/dim]"
    )
    return 0 if outcome.stop_reason == "answer" else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ask", help="one headless agent turn: route, think, use tools, answer")
    p.add_argument("prompt", help="the request ('-' reads it from stdin)")
    p.add_argument("--tier", choices=TIERS, default=None, help="skip the router and use this tier")
    p.add_argument("--json", action="store_true", help="print one JSON transcript object")
    p.add_argument(
        "--yes", action="store_true", help="approve every tool call that would ask (deny rules hold)"
    )
    add_session_options(p)
    p.add_argument("--max-iterations", type=int, default=None, help="most model calls for this turn")
    p.add_argument("--max-tokens", type=int, default=None, help="most tokens per model call")
    p.add_argument("--thinking", action="store_true", help="show the model's reasoning on stderr")
    add_runtime_options(p)
    p.set_defaults(func=cmd_ask)
