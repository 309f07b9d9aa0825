"""Command line of `scripts/extract_training_data.py`: parse arguments, show progress, print the summary.

Examples:

    python scripts/extract_training_data.py --logs .entropi/session_model.log --out data/v1
    python scripts/extract_training_data.py --logs 'runs/*/.entropi/*.log' --out data/v2 --tiers code \\
        --eval-fraction 0.1 --replay chat.jsonl --replay-fraction 0.1 --seed 7 --workers 1

Exit status: 0 on success, 2 on bad arguments or inputs (the message says which), 1 on any other failure.
Non-goals: the extraction itself (`extract.py`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from entropi.config.schema import TIERS
from entropi.data.export import OutputDirError
from entropi.data.extract import ExtractError, ExtractOptions, default_workers, expand_logs, extract
from entropi.data.replay import ReplayError
from entropi.data.report import summary

_REDRAW_S = 0.1


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="extract_training_data.py",
        description="Turn entropi model logs into per-tier SFT and DPO datasets.",
    )
    parser.add_argument(
        "--logs",
        nargs="+",
        required=True,
        metavar="GLOB",
        help="model log files or globs (rotations included)",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
    parser.add_argument("--tiers", nargs="+", choices=TIERS, default=list(TIERS), help="tiers to extract")
    parser.add_argument("--eval-fraction", type=float, default=0.2, help="share of sessions in eval (0.2)")
    parser.add_argument(
        "--replay", type=Path, metavar="FILE", help="JSON Lines of general chat rows to mix in"
    )
    parser.add_argument(
        "--replay-fraction",
        type=float,
        default=0.1,
        help="share of replay rows in each SFT train split (0.1)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and the replay sample (0)")
    parser.add_argument(
        "--workers",
        type=int,
        choices=(1, 2),
        default=default_workers(),
        help="processes for the streaming pass (same output): with 2, a worker reads and builds rows while "
        "this one writes them; default 2 where there are 2 or more cores, else 1 (here: %(default)s)",
    )
    return parser


def _throttled(progress: Progress, task: TaskID) -> Callable[[int, int], None]:
    """The progress callback: the bar is redrawn from here, at most every `_REDRAW_S` (no refresh thread,
    so the two-process pass forks a process that has no other thread)."""
    last = [0.0]

    def update(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)
        now = time.monotonic()
        if now - last[0] >= _REDRAW_S or done >= total:
            last[0] = now
            progress.refresh()

    return update


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    console = Console(stderr=True)
    options = ExtractOptions(
        tiers=tuple(dict.fromkeys(args.tiers)),
        eval_fraction=args.eval_fraction,
        seed=args.seed,
        replay=args.replay,
        replay_fraction=args.replay_fraction,
    )
    try:
        logs = expand_logs(args.logs)
        columns = (TextColumn("extracting"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   TimeRemainingColumn())  # fmt: skip
        with Progress(*columns, console=console, transient=True, auto_refresh=False) as progress:
            task = progress.add_task("logs", total=None)
            report = extract(
                logs, args.out, options, progress=_throttled(progress, task), workers=args.workers
            )
    except (ExtractError, OutputDirError, ReplayError) as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 2
    console.print(summary(report), end="", highlight=False, markup=False, soft_wrap=True)
    console.print(f"wrote {args.out}", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
