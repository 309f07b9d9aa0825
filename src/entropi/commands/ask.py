"""`entropi ask "…"`: one headless turn — route, swap, generate, print (tool calls reported, not run)."""

from __future__ import annotations

import argparse
import json
import sys

from entropi.commands.common import add_runtime_options, err, open_runtime, read_text_arg
from entropi.config import TIERS


def cmd_ask(args: argparse.Namespace) -> int:
    prompt = read_text_arg(args.prompt)
    with open_runtime(args, with_router=args.tier is None) as runtime:
        decision = runtime.route(prompt, override=args.tier)
        overrides = {
            k: v
            for k, v in (
                ("max_tokens", args.max_tokens),
                ("temperature", args.temperature),
                ("seed", args.seed),
            )
            if v is not None
        }
        if not args.json:
            scores = " ".join(f"{t}={s:.2f}" for t, s in decision.scores.items())
            adapter = runtime.adapters.statuses[decision.tier]
            err.print(
                f"[bold]{decision.tier}[/bold] [dim]{scores or 'override'} · adapter {adapter.label}[/dim]"
            )
        stream = None if args.json else lambda piece: (sys.stdout.write(piece), sys.stdout.flush())
        result = runtime.turn(
            decision.tier,
            [{"role": "user", "content": prompt}],
            routing=decision,
            on_text=stream,
            sampling_overrides=overrides,
        )
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return 0
    print()
    for call in result.parsed.tool_calls:
        err.print(
            f"[cyan]tool call[/cyan] {call.name} {json.dumps(call.arguments, ensure_ascii=False)} "
            "[dim](not executed: tool execution arrives with the agent)[/dim]"
        )
    for issue in result.parsed.issues:
        err.print(f"[yellow]parse issue[/yellow] {issue.kind}: {issue.detail}")
    t = result.timings
    err.print(
        f"[dim]{int(t['prompt_tokens'])} prompt tokens ({int(t['cached_tokens'] + t['restored_tokens'])}"
        f" cached) · ttft {t['ttft_ms']:.0f} ms · {t['decode_tok_s']:.1f} tok/s · "
        f"{result.stop_reason}[/dim]"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ask", help="one headless turn: route, generate and print the answer")
    p.add_argument("prompt", help="the request ('-' reads it from stdin)")
    p.add_argument("--tier", choices=TIERS, default=None, help="skip the router and use this tier")
    p.add_argument("--json", action="store_true", help="print one JSON object with everything")
    p.add_argument("--max-tokens", type=int, default=None, help="override the tier's max_tokens")
    p.add_argument("--temperature", type=float, default=None, help="override the tier's temperature")
    p.add_argument("--seed", type=int, default=None, help="sampler seed")
    add_runtime_options(p)
    p.set_defaults(func=cmd_ask)
