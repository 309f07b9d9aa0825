"""Effect of grammar-constrained tool calling on the embedded model, measured on the task-suite prompts.

    python benchmarks/bench_grammar.py [--json] [--max-tokens 96] [--limit N]

For every task prompt, one model call on the task's tier with ``grammar`` off, lazy and force_first (greedy,
same prompt): share of replies with a tool call, share of those calls that are valid (known tool, allowed for
the tier, schema-valid), first-tool accuracy against the task's expected_first_tool, replies with parse
issues, decode tok/s and time to first token.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from entropi.agent.validation import validate_call
from entropi.config import known_tools, load_config
from entropi.inference.runtime import Runtime
from entropi.tasks import load_tasks

MODES = ("off", "lazy", "force_first")


def measure(mode: str, tasks, max_tokens: int, root: Path) -> dict[str, float]:
    (root / ".entropi").mkdir(parents=True, exist_ok=True)
    tiers = {
        t: {"grammar": mode, "sampling": {"temperature": 0.0, "max_tokens": max_tokens}}
        for t in ("thinking", "normal", "code", "simple")
    }
    (root / ".entropi" / "config.yaml").write_text(
        yaml.safe_dump({"tiers": tiers, "router": {"enabled": False}, "log": {"enabled": False}})
    )
    config = load_config(root, env={}, home=root / "home")
    schemas = known_tools()
    with_call = valid = first_ok = issues = 0
    tok_s, ttft = [], []
    with Runtime(config, project_root=root, with_router=False) as rt:
        for task in tasks:
            result = rt.turn(task.tier, [{"role": "user", "content": task.prompt}])
            calls = result.parsed.tool_calls
            issues += bool(result.parsed.issues)
            if result.timings["decode_tok_s"]:
                tok_s.append(result.timings["decode_tok_s"])
            ttft.append(result.timings["ttft_ms"])
            first = calls[0].name if calls else None
            first_ok += first == task.expected_first_tool
            if calls:
                with_call += 1
                allowed = rt.allowed_tools(task.tier)
                valid += all(
                    validate_call(c.name, c.arguments, schemas=schemas, allowed=allowed, seen=set()) is None
                    for c in calls
                )
    n = len(tasks)
    return {
        "replies_with_call": with_call / n,
        "valid_calls": valid / with_call if with_call else 0.0,
        "first_tool_accuracy": first_ok / n,
        "replies_with_parse_issues": issues / n,
        "decode_tok_s": statistics.median(tok_s) if tok_s else 0.0,
        "ttft_ms_p50": statistics.median(ttft),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--limit", type=int, default=None, help="only the first N tasks")
    args = ap.parse_args(argv)
    console = Console(stderr=True)
    tasks = load_tasks()[: args.limit]
    results = {}
    with tempfile.TemporaryDirectory(prefix="entropi-grammar-") as tmp:
        for mode in MODES:
            with console.status(f"grammar={mode}: {len(tasks)} task prompts"):
                results[mode] = measure(mode, tasks, args.max_tokens, Path(tmp) / mode)
    table = Table(title=f"tool-call grammar on the embedded model ({len(tasks)} task prompts, greedy)")
    table.add_column("metric")
    for mode in MODES:
        table.add_column(mode)
    for metric in results["off"]:
        fmt = "{:.1f}" if metric in ("decode_tok_s", "ttft_ms_p50") else "{:.0%}"
        table.add_row(metric, *(fmt.format(results[m][metric]) for m in MODES))
    console.print(table)
    if args.json:
        print(json.dumps({m: {k: round(v, 4) for k, v in r.items()} for m, r in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
