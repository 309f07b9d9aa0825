"""`entropi route "…"`: print the router's decision (tier, per-tier scores, latency)."""

from __future__ import annotations

import argparse
import json

from entropi.commands.common import CommandError, add_runtime_options, open_runtime, read_text_arg


def cmd_route(args: argparse.Namespace) -> int:
    text = read_text_arg(args.text)
    with open_runtime(args) as runtime:
        if runtime.router is None:
            raise CommandError("routing is disabled (router.enabled: false)")
        decision = runtime.route(text)
    if args.json:
        print(json.dumps(decision.to_dict()))
    else:
        scores = "  ".join(f"{t} {s:.2f}" for t, s in decision.scores.items())
        print(f"{decision.tier}  ({scores}; {decision.latency_ms:.0f} ms)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("route", help="show which tier the router picks for a request")
    p.add_argument("text", help="the request ('-' reads it from stdin)")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    add_runtime_options(p)
    p.set_defaults(func=cmd_route)
