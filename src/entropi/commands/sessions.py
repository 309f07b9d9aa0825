"""`entropi sessions list` and `entropi feedback good|bad [why]`: past conversations and outcome signals."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from entropi.commands.common import CommandError


def _store(args: argparse.Namespace):
    from entropi.agent.session_store import SESSIONS_FILE, SessionStore, SessionStoreError

    try:
        return SessionStore(args.project_root / SESSIONS_FILE)
    except SessionStoreError as exc:
        raise CommandError(str(exc)) from exc


def cmd_list(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        sessions = store.list_sessions(limit=args.limit)
    finally:
        store.close()
    if args.json:
        print(json.dumps([s.__dict__ for s in sessions], default=str))
        return 0
    table = Table(title="sessions (newest first) — continue one with: entropi ask --resume ID '…'")
    for col in ("id", "title", "updated", "messages"):
        table.add_column(col)
    for s in sessions:
        table.add_row(s.id, s.title, str(s.updated_at), str(getattr(s, "message_count", "")))
    Console().print(table)
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from entropi.config import load_config
    from entropi.modellog import ModelLog, OutcomeRecord

    store = _store(args)
    try:
        session_id = args.session or store.latest_session()
        if session_id is None:
            raise CommandError("there is no session to give feedback on")
        rows = store.message_rows(session_id)
        turn = max((t for t, _ in rows), default=0)
        store.add_feedback(session_id, turn, args.signal, args.detail)
    finally:
        store.close()
    config = load_config(args.project_root)
    log = ModelLog(config.log.path, max_bytes=config.log.max_bytes, enabled=config.log.enabled)
    log.append(
        OutcomeRecord(
            session_id=session_id,
            turn_index=turn,
            signal=args.signal,
            passed=args.signal == "good",
            detail=args.detail,
        )
    )
    print(f"recorded {args.signal} for session {session_id}, turn {turn}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sessions", help="list past sessions")
    sub = p.add_subparsers(dest="sessions_command", metavar="{list}", required=True)
    p_list = sub.add_parser("list", help="sessions, newest first")
    p_list.add_argument("--limit", type=int, default=20)
    p_list.add_argument("--json", action="store_true")
    p_list.set_defaults(func=cmd_list)
    f = subparsers.add_parser("feedback", help="mark the last turn good or bad (an outcome signal)")
    f.add_argument("signal", choices=("good", "bad"))
    f.add_argument("detail", nargs="?", default=None, help="why (optional)")
    f.add_argument("--session", default=None, help="session id (default: the latest)")
    f.set_defaults(func=cmd_feedback)
