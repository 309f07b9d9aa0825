"""`entropi synth`: generate curated training tasks from the taxonomy, optionally play them with the
reference solver into an ordinary model log (`source: synthetic`), and write labelled routing rows."""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from entropi.commands.common import CommandError, config_from_args
from entropi.config import TIERS

DEFAULT_N = 150  # per tier: the CPU loop's documented subset (docs/taxonomy.md); the generator reaches 1,000+


def cmd_synth(args: argparse.Namespace) -> int:
    from entropi.synth import GenerationError, generate, load_exclusion, write_router_rows, write_tasks

    if args.n < 1 or args.seed < 0:
        raise CommandError("--n must be at least 1 and --seed at least 0")
    share = args.no_tool_share
    if share is not None and not 0.0 <= share <= 1.0:
        raise CommandError(f"--no-tool-share must be within [0, 1], got {share}")
    tiers = list(TIERS) if args.tier == "all" else [args.tier]
    console = Console(stderr=True)
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is not a directory")
    started = time.perf_counter()
    exclusion = load_exclusion()
    tasks = []
    try:
        for tier in tiers:
            tasks += generate(tier, args.n, args.seed, exclusion=exclusion, no_tool_share=share)
    except GenerationError as exc:
        raise CommandError(str(exc)) from exc
    gen_s = time.perf_counter() - started
    where = write_tasks(tasks, out, args.format)
    console.print(
        f"generated {len(tasks)} tasks in {gen_s:.1f} s "
        f"({len(tasks) / max(gen_s, 1e-9):.0f} tasks/s) → {where}"
    )
    if args.router_out is not None:
        count = write_router_rows(tasks, args.router_out)
        console.print(f"wrote {count} routing rows → {args.router_out}")
    if not args.play:
        return 0
    return _play(args, tasks, out, console)


def _play(args: argparse.Namespace, tasks: list, out: Path, console: Console) -> int:
    from entropi.selfplay import reference_model, selfplay

    config = config_from_args(args)
    log = out / "model.log"
    failed = []
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task("playing (reference solver)", total=len(tasks))

        tier_of = {t.id: t.tier for t in tasks}  # the task's tier: a handoff ends the run on another one

        def done(result) -> None:
            counts[f"{tier_of[result.task_id]}:{'passed' if result.passed else 'failed'}"] += 1
            if not result.passed:
                failed.append(result)
            progress.update(bar, advance=1, description=f"playing {result.task_id}")

        selfplay(
            tasks,
            runs=1,
            config=config,
            model_for=lambda t: reference_model(t, config, log),
            workdir=args.keep,
            on_result=done,
        )
    play_s = time.perf_counter() - started
    table = Table(title="reference solver per tier")
    for col in ("tier", "passed", "failed"):
        table.add_column(col)
    for tier in TIERS:
        if counts[f"{tier}:passed"] or counts[f"{tier}:failed"]:
            table.add_row(tier, str(counts[f"{tier}:passed"]), str(counts[f"{tier}:failed"]))
    stdout = Console()
    stdout.print(table)
    stdout.print(
        f"synth --play: {len(tasks) - len(failed)}/{len(tasks)} gold trajectories pass", soft_wrap=True
    )
    console.print(f"played in {play_s:.1f} s ({len(tasks) / max(play_s, 1e-9):.2f} tasks/s) → {log}")
    for result in failed[:20]:
        console.print(f"[red]failed[/red] {result.task_id}: {result.detail}", markup=True, highlight=False)
    return 1 if failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("synth", help="generate taxonomy-driven training tasks (and play their gold)")
    p.add_argument("--tier", choices=(*TIERS, "all"), default="all", help="tier to generate (default: all)")
    p.add_argument(
        "--n",
        type=int,
        default=DEFAULT_N,
        help=f"tasks per tier (default {DEFAULT_N}, the CPU loop's subset)",
    )
    p.add_argument("--seed", type=int, default=0, help="generation seed (same seed, same tasks)")
    p.add_argument(
        "--no-tool-share",
        type=float,
        default=None,
        metavar="F",
        help="fraction of each tier's tasks that are no_tool edge cases (tiers with that edge; "
        "default: the taxonomy's policy, about 2.5%%)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="where tasks (and model.log) go")
    p.add_argument(
        "--format", choices=("yaml", "jsonl"), default="yaml", help="DIR/tasks/<id>.yaml or DIR/tasks.jsonl"
    )
    p.add_argument(
        "--play", action="store_true", help="play every gold with the reference solver into DIR/model.log"
    )
    p.add_argument(
        "--router-out", type=Path, default=None, metavar="FILE", help="write labelled routing rows (JSONL)"
    )
    p.add_argument("--keep", type=Path, default=None, metavar="DIR", help="keep the played task repos in DIR")
    p.set_defaults(func=cmd_synth)
