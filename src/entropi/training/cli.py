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
    parser.add_argument("--tier", required=True, choices=TIERS, help="the tier whose adapter is trained")
    parser.add_argument("--data", type=Path, help="extractor output dir holding <tier>/*.jsonl")
    parser.add_argument("--base", help="base model: GGUF file, HF dir, Hub id, preset or 'embedded'")
    parser.add_argument("--config", type=Path, help="YAML file of fine-tuning settings (flags win)")
    parser.add_argument("--backend", choices=("auto", "unsloth", "trl"), help="training backend (auto)")
    parser.add_argument("--stages", help="comma-separated stages to run, in order (sft,dpo)")
    parser.add_argument("--max-steps", type=int, metavar="N", help="cap every stage at N optimizer steps")
    parser.add_argument("--out", type=Path, help="adapters root (lora_adapters/)")
    parser.add_argument("--resume", action="store_true", help="continue the tier's last unfinished run")
    parser.add_argument("--promote", action="store_true", help="make the new version the tier's current")
    parser.add_argument("--project", type=Path, help="project root (default: nearest .entropi/ or .git/)")
    return parser


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The command-line config layer: only the flags that were given."""
    out: dict[str, Any] = {"tier": args.tier}
    for key in ("data", "out"):  # a path on the command line is relative to where the command runs
        if getattr(args, key) is not None:
            out[key] = str(Path(getattr(args, key)).resolve())
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
    try:
        config = load_finetune_config(args.config, overrides_from_args(args))
        from entropi.training.pipeline import fine_tune

        root = (args.project or find_project_root(Path.cwd())).resolve()
        result = fine_tune(config, project_root=root, console=err)
    except user_errors as exc:
        err.print(f"[red]fine_tune:[/red] {escape(str(exc))}", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("[yellow]interrupted: continue with --resume[/yellow]")
        return 130
    if result.manifest:
        print(result.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
