"""Argument parsing for ``scripts/fine_tune.py``: flags → config overrides → ``pipeline.fine_tune``.

Non-goals: training logic (``pipeline.py``); the YAML schema (``config.py``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from entropi.config import TIERS, find_project_root
from entropi.training.config import STAGES, TrainConfigError, load_finetune_config


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fine_tune.py",
        description="Train a tier's LoRA (SFT, then DPO), export it as a GGUF LoRA and register it.",
    )
    parser.add_argument(
        "--tier",
        required=True,
        choices=(*TIERS, "router"),
        help="the tier whose adapter is trained ('router': the router adapter)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        nargs="+",
        help="extractor output dir holding <tier>/*.jsonl (router: JSONL files of input + expected_tier)",
    )
    parser.add_argument("--epochs", type=int, help="router: passes over the routing rows (default 4)")
    parser.add_argument("--base", help="base model: GGUF file, HF dir, Hub id, preset or 'embedded'")
    parser.add_argument("--config", type=Path, help="YAML file of fine-tuning settings (flags win)")
    parser.add_argument("--backend", choices=("auto", "unsloth", "trl"), help="training backend (auto)")
    parser.add_argument("--stages", help="comma-separated stages to run, in order (sft,dpo)")
    parser.add_argument("--max-steps", type=int, metavar="N", help="cap every stage at N optimizer steps")
    parser.add_argument("--out", type=Path, help="adapters root (lora_adapters/)")
    parser.add_argument("--resume", action="store_true", help="continue the tier's last unfinished run")
    parser.add_argument(
        "--promote",
        action="store_true",
        help="make the new version the tier's current if it passes the evaluation gate (exit 1 if not)",
    )
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        default=None,
        help="skip evaluating the bare base on the tier's cases before training",
    )
    parser.add_argument(
        "--fresh-baseline",
        dest="baseline_cache",
        action="store_false",
        default=None,
        help="measure the bare base again instead of reusing its cached results",
    )
    parser.add_argument("--project", type=Path, help="project root (default: nearest .entropi/ or .git/)")
    return parser


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The command-line config layer: only the flags that were given."""
    out: dict[str, Any] = {"tier": args.tier}
    if args.data is not None:  # a path on the command line is relative to where the command runs
        if len(args.data) != 1:
            raise TrainConfigError("--data takes one extractor output dir for a tier adapter")
        out["data"] = str(Path(args.data[0]).resolve())
    if args.out is not None:
        out["out"] = str(Path(args.out).resolve())
    if args.base is not None:
        out["base"] = str(Path(args.base).resolve()) if Path(args.base).exists() else args.base
    if args.backend is not None:
        out["backend"] = args.backend
    if args.stages is not None:
        stages = [s.strip() for s in args.stages.split(",") if s.strip()]
        unknown = [s for s in stages if s not in STAGES]
        if unknown or not stages:
            raise TrainConfigError(
                f"--stages {args.stages!r}: use a comma-separated subset of {', '.join(STAGES)}"
            )
        out["stages"] = stages
    if args.max_steps is not None:
        if args.max_steps < 1:
            raise TrainConfigError(f"--max-steps must be at least 1, got {args.max_steps}")
        out["sft"] = {"max_steps": args.max_steps}
        out["dpo"] = {"max_steps": args.max_steps}
    for flag in ("resume", "promote"):
        if getattr(args, flag):
            out[flag] = True
    if getattr(args, "baseline", None) is False:
        out["baseline"] = False
    if getattr(args, "baseline_cache", None) is False:
        out["baseline_cache"] = False
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    err = Console(stderr=True, highlight=False)
    from entropi.training.backends import BackendError
    from entropi.training.base_model import BaseModelError
    from entropi.training.datasets import DatasetError
    from entropi.training.export import ExportError
    from entropi.training.registry import RegistryError
    from entropi.training.render import RenderError

    user_errors = (
        TrainConfigError,
        DatasetError,
        BaseModelError,
        BackendError,
        RegistryError,
        ExportError,
        RenderError,
    )
    if args.tier == "router":
        return _train_router(args, err)
    try:
        config = load_finetune_config(args.config, overrides_from_args(args))
        from entropi.training.pipeline import evaluation_baseline, fine_tune

        root = (args.project or find_project_root(Path.cwd())).resolve()
        baseline = (
            evaluation_baseline(root, err, config.baseline_limit, cache=config.baseline_cache)
            if config.baseline
            else None
        )
        result = fine_tune(config, project_root=root, console=err, baseline=baseline)
    except user_errors as exc:
        err.print(f"[red]fine_tune:[/red] {escape(str(exc))}", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("[yellow]interrupted: continue with --resume[/yellow]")
        return 130
    if result.manifest:
        print(result.folder)
    return 1 if config.promote and result.manifest and not result.promoted else 0


def _train_router(args: argparse.Namespace, err: Console) -> int:
    """`--tier router`: train the router adapter on labelled requests (see `training/router_train.py`)."""
    from entropi.training.router_train import (
        RouterDataError,
        RouterTrainConfig,
        load_routing_rows,
        train_router,
    )

    root = (args.project or find_project_root(Path.cwd())).resolve()
    out_root = Path(args.out).resolve() if args.out else root / "lora_adapters"
    try:
        if not args.data:
            raise RouterDataError("--data: give the routing rows (JSONL with input + expected_tier)")
        rows = load_routing_rows(args.data)
        config = RouterTrainConfig(**({"epochs": args.epochs} if args.epochs else {}))
        result = train_router(
            rows, project_root=root, out_root=out_root, config=config, base_spec=args.base, console=err
        )
    except RouterDataError as exc:
        err.print(f"[red]fine_tune:[/red] {escape(str(exc))}", soft_wrap=True)
        return 2
    print(result.folder)
    if args.promote:
        from entropi.training.router_train import promote_router

        return 0 if promote_router(root, out_root, result.version, console=err) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
