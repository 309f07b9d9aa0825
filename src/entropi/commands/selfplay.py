"""`entropi selfplay`: run the agent (or the reference solver) over the task suite, writing model logs."""

from __future__ import annotations

import argparse
import fnmatch
import json
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from entropi.commands.common import CommandError, add_runtime_options, config_from_args, open_runtime
from entropi.config import TIERS


def _pick(
    patterns: list[str] | None, tiers: list[str] | None, source: Path | None = None, limit: int | None = None
):
    """Suite tasks, or those `entropi synth` wrote to ``source``; filtered, at most ``limit`` per tier."""
    if source is not None:
        from entropi.synth import read_tasks

        where = source / "tasks.jsonl" if (source / "tasks.jsonl").is_file() else source / "tasks"
        if not where.exists():
            raise CommandError(f"--from {source}: no tasks.jsonl or tasks/ written by `entropi synth` there")
        try:
            tasks = read_tasks(where)
        except (OSError, ValueError) as exc:
            raise CommandError(f"--from {source}: cannot read the tasks: {exc}") from exc
    else:
        from entropi.tasks import load_tasks

        tasks = load_tasks()
    if patterns:
        tasks = [t for t in tasks if any(fnmatch.fnmatch(t.id, p) for p in patterns)]
    if tiers:
        tasks = [t for t in tasks if t.tier in tiers]
    if limit is not None:
        seen: dict[str, int] = {}
        kept = []
        for task in tasks:
            seen[task.tier] = seen.get(task.tier, 0) + 1
            if seen[task.tier] <= limit:
                kept.append(task)
        tasks = kept
    if not tasks:
        raise CommandError("no task matches --tasks/--tier (see src/entropi/tasks/data/ or --from)")
    return tasks


def cmd_selfplay(args: argparse.Namespace) -> int:
    from entropi.selfplay import reference_model, selfplay

    if args.limit is not None and args.limit < 1:
        raise CommandError("--limit must be at least 1")
    tasks = _pick(args.tasks, args.tier, args.source, args.limit)
    console = Console(stderr=True)
    results = []
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task(f"selfplay ({args.solver})", total=len(tasks) * args.runs)

        def done(result) -> None:
            results.append(result)
            progress.advance(bar)

        if args.solver == "reference":
            config = config_from_args(args)
            log = config.log.path if config.log.enabled else None
            selfplay(
                tasks,
                runs=args.runs,
                config=config,
                model_for=lambda t: reference_model(t, config, log),
                workdir=args.keep,
                on_result=done,
            )
        else:
            with open_runtime(args, with_router=False) as runtime:
                runtime.source = "selfplay"
                selfplay(
                    tasks,
                    runs=args.runs,
                    config=runtime.config,
                    model_for=lambda t: runtime,
                    workdir=args.keep,
                    on_result=done,
                )
    if args.json:
        print(json.dumps([r.__dict__ for r in results]))
    else:
        table = Table(
            title=f"selfplay: {sum(r.passed for r in results)}/{len(results)} passed ({args.solver})"
        )
        for col in ("task", "run", "tier", "stop", "first tool (expected)", "passed"):
            table.add_column(col)
        for r in results:
            first = f"{r.first_tool or '-'} ({r.expected_first_tool or '-'})"
            table.add_row(r.task_id, str(r.run), r.tier, r.stop_reason, first, "yes" if r.passed else "no")
        Console().print(table)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("selfplay", help="run the agent or the reference solver over the task suite")
    p.add_argument("--tasks", nargs="*", default=None, metavar="ID", help="task ids or globs (default: all)")
    p.add_argument("--tier", nargs="*", choices=TIERS, default=None, help="only tasks of these tiers")
    p.add_argument("--runs", type=int, default=1, help="runs per task")
    p.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        metavar="DIR",
        help="play the tasks `entropi synth --out DIR` wrote instead of the task suite",
    )
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N tasks per tier")
    p.add_argument(
        "--solver",
        choices=("agent", "reference"),
        default="agent",
        help="agent: the configured model (source selfplay); reference: gold trajectories (synthetic)",
    )
    p.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the task repos in DIR (default: a temp dir, removed)",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--max-tokens", type=int, default=None, help="most tokens per model call")
    p.add_argument("--max-iterations", type=int, default=None, help="most model calls per task")
    add_runtime_options(p)
    p.set_defaults(func=cmd_selfplay)
