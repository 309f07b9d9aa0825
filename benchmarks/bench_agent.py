"""Agent soak: hundreds of headless turns with the scripted model — overhead per turn, memory, context size.

    python benchmarks/bench_agent.py [--turns 300] [--json]

Each turn runs the real loop, tools, permissions, session store (SQLite) and model log; the scripted model
takes no time, so the measured time is the agent's own overhead (excluding model time). Figures:
per-turn overhead p50/p95, per-tool-call overhead, RSS at the start/middle/end (flat = no leak), the largest
prompt the context manager built vs n_ctx.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from entropi.agent.permissions import HeadlessApprover
from entropi.agent.scripted import ScriptedModel
from entropi.agent.session import AgentSession
from entropi.config import load_config

N_CTX = 4096


def _call(name: str, **arguments: object) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


def _script(i: int) -> list[str]:
    """One turn: think + read, edit, list, answer (4 model calls, 3 tool calls)."""
    return [
        f"<think>Turn {i}: read the module first.</think>\n" + _call("filesystem.read_file", path="mod.py"),
        _call(
            "filesystem.edit_file", path="mod.py", old_string=f"VALUE = {i}", new_string=f"VALUE = {i + 1}"
        ),
        _call("filesystem.list_directory", path="."),
        f"Updated VALUE to {i + 1}.",
    ]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="entropi-soak-") as tmp:
        root = Path(tmp)
        (root / ".entropi").mkdir()
        (root / "mod.py").write_text("VALUE = 0\n" + "# filler line for a realistic file\n" * 200)
        config = load_config(root, env={}, home=root / "home")
        outputs = [o for i in range(args.turns) for o in _script(i)]
        model = ScriptedModel(
            outputs,
            config=config,
            log_path=root / ".entropi" / "session_model.log",
            n_ctx=N_CTX,
            keep_calls=False,
        )
        session = AgentSession(config, root, model, approver=HeadlessApprover(True))
        per_turn, rss = [], [rss_mb()]
        with console.status("soak") as status:
            for i in range(args.turns):
                started = time.perf_counter()
                out = session.ask(f"bump VALUE (turn {i})")
                per_turn.append((time.perf_counter() - started) * 1000)
                assert out.stop_reason == "answer", out.stop_reason
                if i in (args.turns // 2, args.turns - 1):
                    rss.append(rss_mb())
                status.update(f"soak: turn {i + 1}/{args.turns}")
        session.close()
        log_mb = sum(p.stat().st_size for p in (root / ".entropi").glob("session_model.log*")) / 1e6
    figures = {
        "turns": args.turns,
        "turn_overhead_p50_ms": statistics.median(per_turn),
        "turn_overhead_p95_ms": statistics.quantiles(per_turn, n=20)[-1],
        "per_tool_call_ms": statistics.median(per_turn) / 3,
        "rss_start_mb": rss[0],
        "rss_mid_mb": rss[1],
        "rss_end_mb": rss[-1],
        "max_prompt_tokens": model.max_prompt_tokens,
        "n_ctx": N_CTX,
        "log_mb": log_mb,
    }
    table = Table(title=f"agent soak: {args.turns} turns × (4 model calls, 3 tool calls), scripted model")
    table.add_column("figure")
    table.add_column("value")
    for k, v in figures.items():
        table.add_row(k, f"{v:.2f}" if isinstance(v, float) else str(v))
    console.print(table)
    console.print("target: per-turn agent overhead ≤ 10 ms; RSS flat; prompt ≤ n_ctx")
    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
