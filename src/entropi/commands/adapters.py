"""`entropi adapters list`: the trained LoRA versions per tier, which one is current, base hash and metrics.

Scope: output for `entropi.training.registry.list_adapters`. Non-goals: training, promotion (scripts and
the evaluation gate do that), validating an adapter against the loaded base (the runtime does).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from entropi.commands.common import CommandError
from entropi.config import TIERS
from entropi.inference.tier_setup import ADAPTERS_DIR
from entropi.training.config import STAGES
from entropi.training.registry import AdapterEntry, list_adapters


def _root(args: argparse.Namespace) -> Path:
    return args.adapters_dir if args.adapters_dir is not None else Path(args.project_root) / ADAPTERS_DIR


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def metrics_text(entry: AdapterEntry) -> str:
    """Evaluation metrics when the gate has written them, else each stage's eval (or train) loss."""
    evaluation = entry.metrics.get("evaluation")
    if isinstance(evaluation, dict) and evaluation:
        scalars = [(k, v) for k, v in evaluation.items() if isinstance(v, int | float)]
        return ", ".join(f"{k} {_number(v)}" for k, v in scalars[:4])
    parts = []
    training = entry.metrics.get("training")
    training = training if isinstance(training, dict) else {}
    for stage in sorted(training, key=lambda name: STAGES.index(name) if name in STAGES else len(STAGES)):
        values = training[stage]
        if isinstance(values, dict):
            key = "eval_loss" if "eval_loss" in values else "train_loss"
            if key in values:
                parts.append(f"{stage} {key} {_number(values[key])}")
    return ", ".join(parts)


def _entry_json(entry: AdapterEntry) -> dict[str, Any]:
    return {
        "tier": entry.tier,
        "version": entry.version,
        "current": entry.current,
        "path": str(entry.path),
        "base_sha256": entry.base_sha256,
        "base_id": (entry.manifest.get("base_model") or {}).get("id"),
        "created": entry.manifest.get("created"),
        "metrics": entry.metrics,
        "problem": entry.problem,
    }


def cmd_list(args: argparse.Namespace) -> int:
    root = _root(args)
    if root.exists() and not root.is_dir():
        raise CommandError(f"{root} is not a directory")
    entries = [e for e in list_adapters(root) if args.tier is None or e.tier == args.tier]
    if args.json:
        print(json.dumps([_entry_json(e) for e in entries]))
        return 0
    if not entries:
        Console(stderr=True).print(f"no adapters under {root} (train one with scripts/fine_tune.py)")
        return 0
    table = Table(title=f"adapters ({root})")
    for column in ("tier", "version", "current", "base", "base sha256", "created", "metrics"):
        table.add_column(column, overflow="fold")
    for e in entries:
        base = e.manifest.get("base_model") or {}
        table.add_row(
            e.tier,
            e.version,
            "yes" if e.current else "",
            str(base.get("id") or ""),
            (e.base_sha256 or "")[:12],
            str(e.manifest.get("created") or ""),
            f"[red]{e.problem}[/red]" if e.problem else metrics_text(e),
        )
    Console().print(table)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `adapters list` to the main CLI's subparsers."""
    adapters = subparsers.add_parser("adapters", help="list trained LoRA adapters per tier")
    sub = adapters.add_subparsers(dest="adapters_command", metavar="{list}", required=True)
    p_list = sub.add_parser("list", help="tier, version, current, base hash and metrics of every adapter")
    p_list.add_argument(
        "--dir",
        dest="adapters_dir",
        type=Path,
        default=None,
        help="adapters root (default: <project>/lora_adapters)",
    )
    p_list.add_argument("--tier", choices=TIERS, default=None, help="only this tier")
    p_list.add_argument("--json", action="store_true", help="print one JSON array instead of a table")
    p_list.set_defaults(func=cmd_list)
