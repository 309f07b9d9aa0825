"""`entropi adapters list | promote | rollback`: the trained LoRA versions per tier and the `current` pointer.

`list` shows every version, which one is current, base hash and metrics. `promote` runs the evaluation
gate (`evaluation.promotion`) on a version against the current adapter (or the base) and moves `current`
only when it passes (`--force` promotes anyway, recorded as forced): exit 0 promoted, 1 refused.
`rollback` makes the previous current current again (`training.registry.rollback`).
Non-goals: training, the gate's rules (`evaluation/gate.py`), validating an adapter against the loaded base
(the runtime does).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from entropi.commands.common import CommandError, config_from_args
from entropi.config import TIERS
from entropi.inference.tier_setup import ADAPTERS_DIR
from entropi.training import registry
from entropi.training.config import STAGES
from entropi.training.registry import AdapterEntry, RegistryError, list_adapters

HEADLINE = ("validity", "selection", "coherence", "chat_loss")
"""The gate's numbers `list` shows for a version the gate has evaluated."""


def _root(args: argparse.Namespace) -> Path:
    return args.adapters_dir if args.adapters_dir is not None else Path(args.project_root) / ADAPTERS_DIR


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def metrics_text(entry: AdapterEntry) -> str:
    """Evaluation metrics when the gate has written them, else each stage's eval (or train) loss."""
    evaluation = entry.metrics.get("evaluation")
    if isinstance(evaluation, dict) and evaluation:
        keys = [k for k in HEADLINE if k in evaluation] or list(evaluation)
        values = [(k, evaluation[k]) for k in keys]
        scalars = [(k, v) for k, v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        text = ", ".join(f"{k} {_number(v)}" for k, v in scalars[:4])
        return text + " (forced)" if evaluation.get("forced") else text
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


def _version(text: str) -> str:
    """``v3`` and ``3`` mean ``v0003``; anything else is taken as written."""
    match = re.fullmatch(r"v?(\d+)", text)
    return f"v{int(match.group(1)):04d}" if match else text


def _rate_text(group: dict[str, Any], key: str) -> str:
    entry = group.get(key) or {}
    if entry.get("rate") is None:
        return "n/a"
    return f"{entry['rate']:.3f} ({entry.get('k')}/{entry.get('n')})"


def print_report(report: Any, console: Console) -> None:
    """The gate's checks, then each variant's headline numbers."""
    from entropi.evaluation.gate import tier_group

    checks = Table(title=f"promotion gate: {report.tier} {report.version} vs {report.baseline}")
    for column in ("gate", "result", "value", "threshold", "detail"):
        checks.add_column(column, overflow="fold")
    for c in report.decision.checks:
        checks.add_row(
            c.name,
            "[green]pass[/green]" if c.passed else "[red]FAIL[/red]",
            "n/a" if c.value is None else _number(c.value),
            "" if c.threshold is None else _number(c.threshold),
            escape(c.detail),
        )
    console.print(checks)
    variants = Table(title=f"{report.n_cases} case(s)")
    for column in ("variant", "validity", "selection", "args", "coherent", "passed", "chat loss"):
        variants.add_column(column)
    for label, summary in report.summaries.items():
        group = tier_group(summary, report.tier)
        loss = report.chat_loss.get(label)
        variants.add_row(
            label,
            *(_rate_text(group, key) for key in ("valid", "selected", "args_match", "coherent", "passed")),
            "n/a" if loss is None else f"{loss:.4f}",
        )
    console.print(variants)


def cmd_promote(args: argparse.Namespace, *, evaluator: Any = None, chat_loss: Any = None) -> int:
    """Gate, then promote (exit 0) or refuse naming the failed gates (exit 1)."""
    from entropi.evaluation.promotion import GATE_ERRORS, promote_through_gate

    root = _root(args)
    version = _version(args.version)
    config = config_from_args(args)
    waiting = f"evaluating {args.tier} {version} and the current adapter (eval cases, then general chat)…"
    try:
        with Console(stderr=True).status(waiting):
            report = promote_through_gate(
                config,
                Path(args.project_root),
                root,
                args.tier,
                version,
                force=args.force,
                case_files=args.cases,
                evaluator=evaluator,
                chat_loss=chat_loss,
            )
    except GATE_ERRORS as exc:
        raise CommandError(str(exc)) from exc
    console = Console()
    print_report(report, console)
    if not report.decision.accepted:
        console.print(escape(report.decision.reason()), soft_wrap=True, highlight=False)
    if report.forced:
        console.print(
            f"[yellow]{args.tier} {version} promoted by --force despite the failed gate(s)[/yellow]"
        )
    elif report.promoted:
        console.print(f"[green]{args.tier} {version} is now current[/green] (was {report.baseline})")
    else:
        console.print(f"[red]not promoted:[/red] {args.tier} current stays {report.baseline}")
    return 0 if report.promoted else 1


def cmd_rollback(args: argparse.Namespace) -> int:
    """Make the previous current current again (or no adapter: the base model)."""
    root = _root(args)
    before = registry.current_version(root, args.tier)
    try:
        restored = registry.rollback(root, args.tier)
    except RegistryError as exc:
        raise CommandError(str(exc)) from exc
    now = restored or "none (the tier runs on the base model)"
    Console(highlight=False).print(f"{args.tier}: current {before} -> {now}")
    return 0


def _dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        dest="adapters_dir",
        type=Path,
        default=None,
        help="adapters root (default: <project>/lora_adapters)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `adapters list|promote|rollback` to the main CLI's subparsers."""
    adapters = subparsers.add_parser("adapters", help="list, promote and roll back trained LoRA adapters")
    sub = adapters.add_subparsers(dest="adapters_command", metavar="{list,promote,rollback}", required=True)
    p_list = sub.add_parser("list", help="tier, version, current, base hash and metrics of every adapter")
    _dir_option(p_list)
    p_list.add_argument("--tier", choices=TIERS, default=None, help="only this tier")
    p_list.add_argument("--json", action="store_true", help="print one JSON array instead of a table")
    p_list.set_defaults(func=cmd_list)

    p_promote = sub.add_parser(
        "promote", help="make a version current if it passes the tier's evaluation gate"
    )
    p_promote.add_argument("tier", choices=TIERS, help="the adapter's tier")
    p_promote.add_argument("version", help="the version to promote (v0003, v3 or 3)")
    p_promote.add_argument(
        "--force", action="store_true", help="promote even if a gate fails (recorded as forced)"
    )
    p_promote.add_argument(
        "--cases",
        nargs="+",
        type=Path,
        default=None,
        metavar="FILE",
        help="eval case files (JSONL) instead of the shipped cases and evaluation.cases",
    )
    _dir_option(p_promote)
    p_promote.set_defaults(func=cmd_promote)

    p_rollback = sub.add_parser("rollback", help="make the previous current adapter current again")
    p_rollback.add_argument("tier", choices=TIERS, help="the tier to roll back")
    _dir_option(p_rollback)
    p_rollback.set_defaults(func=cmd_rollback)
