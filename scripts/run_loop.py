#!/usr/bin/env python
"""Close the loop on this machine: synthetic sessions → datasets → tier + router adapters → A/B → gate.

    python scripts/run_loop.py --work runs/loop            # `make loop`
    python scripts/run_loop.py --work runs/loop --n 60 --epochs 2 --selfplay 30 --tiers thinking

Stages (each a real command, timed; the first failure stops the loop):
  1. `entropi synth --play` per trained tier: taxonomy-driven tasks played by the reference solver through the
     real agent loop (ordinary model logs, `source: synthetic`), plus labelled routing rows for every tier;
     with `--selfplay N`, N of those tasks per tier are also played by the base model (`entropi selfplay
     --from`, `source: selfplay`): its incoherent or invalid first turns become DPO rejected turns;
     `--no-tool-share F` (0.15) makes that fraction of each tier's tasks general questions answered without a
     tool (the `no_tool` edge), so an adapter does not learn to call a tool on every request;
  2. `extract_training_data.py` over those logs, with `--replay-fraction F` (0.1) of each tier's SFT train
     split drawn from the shipped general chat (`entropi.training.data.replay_chat_path()`);
  3. `fine_tune.py --tier T --promote` per tier: the bare base on the tier's held-out golden cases first
     (decide before training; prompts the generator never produced: `synth/exclusion.py`), SFT (then DPO
     when the data has pairs), export, then the promotion gate: the candidate on the same cases (the base's
     results are reused), general-chat loss, verdict, and the before/after HTML report in
     `lora_adapters/T/vN/evaluation/report.html`;
  4. `fine_tune.py --tier router --promote`: the router adapter and its own held-out gate.
Everything lands in the project given by `--project` (default: the work dir, a throwaway git repo).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

console = Console(stderr=True)
PY = sys.executable
SCRIPTS = Path(__file__).resolve().parent


def _run(name: str, argv: list[str], timings: dict[str, float], *, check: bool = True) -> int:
    console.rule(f"[bold]{name}")
    console.print("$ " + shlex.join(argv), style="dim")
    started = time.perf_counter()
    code = subprocess.call(argv)
    timings[name] = round(time.perf_counter() - started, 1)
    console.print(f"{name}: exit {code} in {timings[name]} s")
    if check and code != 0:
        raise SystemExit(f"loop stopped: {name} failed (exit {code})")
    return code


def _version(project: Path, tier: str) -> str:
    versions = sorted(p.name for p in (project / "lora_adapters" / tier).glob("v[0-9]*") if p.is_dir())
    if not versions:
        raise SystemExit(f"no adapter version for {tier} under {project / 'lora_adapters' / tier}")
    return versions[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=Path("runs/loop"), help="work directory")
    parser.add_argument("--project", type=Path, help="project receiving the adapters (default: --work)")
    parser.add_argument("--tiers", nargs="+", default=["thinking", "code"], help="tiers to train")
    parser.add_argument("--n", type=int, default=100, help="synthetic tasks per trained tier")
    parser.add_argument(
        "--selfplay",
        type=int,
        default=0,
        metavar="N",
        help="also play N of each tier's synthetic tasks with the base model: its bad first turns, paired "
        "with the gold ones, are the DPO data (default 0: SFT only)",
    )
    parser.add_argument(
        "--no-tool-share",
        type=float,
        default=0.15,
        metavar="F",
        help="fraction of each trained tier's synthetic tasks that need no tool (default 0.15)",
    )
    parser.add_argument(
        "--replay-fraction",
        type=float,
        default=0.1,
        metavar="F",
        help="share of general-chat replay rows in each SFT train split (default 0.1; 0: none)",
    )
    parser.add_argument("--router-n", type=int, default=150, help="routing rows per tier")
    parser.add_argument("--epochs", type=float, default=3.0, help="SFT epochs")
    parser.add_argument("--batch-size", type=int, default=8, help="SFT rows per step")
    parser.add_argument("--max-steps", type=int, default=None, help="cap every stage at N optimizer steps")
    parser.add_argument("--lr", type=float, default=5e-4, help="SFT learning rate")
    parser.add_argument("--router-epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-router", action="store_true")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    project = (args.project or work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    if not (project / ".git").exists() and not (project / ".entropi").exists():
        (project / ".entropi").mkdir(parents=True, exist_ok=True)
    entropi = [PY, "-m", "entropi.cli", "--project", str(project)]
    timings: dict[str, float] = {}
    logs = []
    for tier in args.tiers:
        out = work / f"synth_{tier}"
        _run(
            f"synth {tier}",
            [
                *entropi,
                "synth",
                "--tier",
                tier,
                "--n",
                str(args.n),
                "--seed",
                str(args.seed),
                "--no-tool-share",
                str(args.no_tool_share),
                "--play",
                "--format",
                "jsonl",
                "--out",
                str(out),
            ],
            timings,
        )
        logs.append(str(out / "model.log"))
        if args.selfplay:
            _run(
                f"selfplay {tier} (base model)",
                [
                    *entropi,
                    "selfplay",
                    "--from",
                    str(out),
                    "--tier",
                    tier,
                    "--limit",
                    str(args.selfplay),
                    "--max-tokens",
                    "160",
                    "--max-iterations",
                    "1",
                ],
                timings,
                check=False,  # failed tasks are expected: they are the point
            )
    if args.selfplay:
        logs.append(str(project / ".entropi" / "session_model.log"))
    router_rows = work / "router_rows.jsonl"
    if not args.skip_router:
        _run(
            "synth router rows",
            [
                *entropi,
                "synth",
                "--tier",
                "all",
                "--n",
                str(args.router_n),
                "--seed",
                str(args.seed + 1),
                "--format",
                "jsonl",
                "--out",
                str(work / "synth_router"),
                "--router-out",
                str(router_rows),
            ],
            timings,
        )
    data = work / "data"
    replay: list[str] = []
    if args.replay_fraction > 0:
        from entropi.training.data import replay_chat_path

        replay = ["--replay", str(replay_chat_path()), "--replay-fraction", str(args.replay_fraction)]
    _run(
        "extract",
        [
            PY,
            str(SCRIPTS / "extract_training_data.py"),
            "--logs",
            *logs,
            "--out",
            str(data),
            "--tiers",
            *args.tiers,
            "--seed",
            str(args.seed),
            *replay,
        ],
        timings,
    )
    settings = work / "fine_tune.yaml"  # first-turn rows: the first call is what the gate measures
    settings.write_text(
        f"sft: {{first_turn_only: true, learning_rate: {args.lr}, epochs: {args.epochs}, "
        f"batch_size: {args.batch_size}, eval_steps: 1000}}\n",
        encoding="utf-8",
    )
    steps = ["--max-steps", str(args.max_steps)] if args.max_steps else []
    results: dict[str, dict] = {}
    for tier in args.tiers:
        code = _run(
            f"fine_tune {tier} (baseline, SFT/DPO, gate)",
            [
                PY,
                str(SCRIPTS / "fine_tune.py"),
                "--tier",
                tier,
                "--data",
                str(data),
                *steps,
                "--project",
                str(project),
                "--config",
                str(settings),
                "--promote",
            ],
            timings,
            check=False,  # exit 1: trained and registered, but the gate refused it
        )
        version = _version(project, tier)
        report = project / "lora_adapters" / tier / version / "evaluation" / "report.html"
        results[tier] = {"version": version, "promoted": code == 0, "report": str(report)}
    if not args.skip_router:
        code = _run(
            "router",
            [
                PY,
                str(SCRIPTS / "fine_tune.py"),
                "--tier",
                "router",
                "--data",
                str(router_rows),
                "--epochs",
                str(args.router_epochs),
                "--project",
                str(project),
                "--promote",
            ],
            timings,
            check=False,
        )
        results["router"] = {"version": _version(project, "router"), "promoted": code == 0}
    summary = {"timings_s": timings, "total_s": round(sum(timings.values()), 1), "results": results}
    (work / "loop.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    table = Table(title=f"loop: {summary['total_s']} s")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for name, seconds in timings.items():
        table.add_row(name, str(seconds))
    console.print(table)
    console.print_json(data=results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
