"""`entropi tui` (and `entropi` with no command on a terminal): the Textual chat on the real runtime.

The model loads before the app opens, so a load failure is one error line, not a broken screen.
Non-goals: the app itself (``entropi.ui``); the plain REPL stays `entropi chat`.
"""

from __future__ import annotations

import argparse

from entropi.commands.common import add_runtime_options, add_session_options, open_runtime


def cmd_tui(args: argparse.Namespace) -> int:
    """Also runs a bare `entropi` (no tui flags parsed; ``--plan`` reaches the config via cli_overrides)."""
    from entropi.ui.app import EntropiApp  # imported late: Textual is not needed by other commands

    with open_runtime(args) as runtime:
        app = EntropiApp(runtime.config, args.project_root, runtime, resume=getattr(args, "resume", None))
        app.run()
    return app.return_code or 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("tui", help="the chat app (default when entropi runs with no command)")
    add_session_options(p)
    add_runtime_options(p)
    p.set_defaults(func=cmd_tui)
