"""`entropi eval`: the evaluation runner as a subcommand (same flags as scripts/run_evaluation.py)."""

from __future__ import annotations

import argparse
import json

from rich.console import Console

from entropi.commands.common import CommandError


def cmd_eval(args: argparse.Namespace) -> int:
    from entropi.evaluation.cli import EvalError, run

    try:
        manifest = run(args, Console(stderr=True))
    except EvalError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        print(json.dumps(manifest))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from entropi.evaluation.cli import build_parser

    p = subparsers.add_parser("eval", help="evaluate tiers and adapters on eval cases (A/B with --compare)")
    build_parser(p)
    p.set_defaults(func=cmd_eval)
