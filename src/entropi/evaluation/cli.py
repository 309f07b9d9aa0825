"""`scripts/run_evaluation.py` / `entropi eval`: pick cases and variants, run them, write metrics and reports.

    run_evaluation.py --tier thinking --adapter current --out .entropi/eval/now
    run_evaluation.py --tier code --compare base current --out .entropi/eval/ab
    run_evaluation.py --cases my_cases.jsonl --tasks --bfcl ../shared/eval/bfcl --bfcl-limit 20

A variant spec is `none`/`base` (no adapter), `current` (the promoted adapter of each tier; the base where
none is promoted), a version name (`v3`: `lora_adapters/<tier>/v3`) or a path (adapter file or directory).
Non-goals: the metric definitions (`metrics.py`), the runner (`runner.py`), promotion (`gate.py`).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from entropi.config import TIERS
from entropi.evaluation.cases import CaseError, EvalCase, builtin_cases, load_cases, task_cases
from entropi.evaluation.results import CaseResult, write_results
from entropi.inference.tier_setup import ADAPTERS_DIR

BASE_SPECS = ("none", "base")
HEADLINE = (
    ("validity", "valid"),
    ("selection", "selected"),
    ("args", "args_match"),
    ("irrelevance", "irrelevance"),
    ("coherent", "coherent"),
    ("tasks", "task_passed"),
    ("router", "routed_ok"),
    ("passed", "passed"),
)


class EvalError(Exception):
    """A user-facing problem with the evaluation's options (printed as one line, exit 2)."""


def resolve_adapter(spec: str, tier: str, project_root: Path) -> Path | None:
    """The adapter a variant spec means for ``tier`` (None: the bare base)."""
    if spec in BASE_SPECS:
        return None
    tier_dir = project_root / ADAPTERS_DIR / tier
    if spec == "current":
        current = tier_dir / "current"
        return current if current.exists() else None
    if re.fullmatch(r"v\d+", spec):
        if not (tier_dir / spec).is_dir():
            raise EvalError(f"no adapter version {spec} for tier {tier} in {tier_dir}")
        return tier_dir / spec
    path = Path(spec)
    if not path.exists():
        raise EvalError(f"adapter {spec!r}: not 'none', 'current', a version (v3) or an existing path")
    return path


def variant_label(spec: str, taken: set[str]) -> str:
    label = spec if re.fullmatch(r"[\w.-]+", spec) else re.sub(r"[^\w.-]+", "_", Path(spec).name) or "adapter"
    out, n = label, 2
    while out in taken:
        out, n = f"{label}-{n}", n + 1
    taken.add(out)
    return out


def select_cases(args: argparse.Namespace) -> list[EvalCase]:
    """Cases from the flags: files or the shipped golden sets, plus tasks and BFCL; filtered and capped."""
    tiers = [args.tier] if args.tier else None
    try:
        cases = load_cases([Path(p) for p in args.cases]) if args.cases else builtin_cases(args.tier)
    except CaseError as exc:
        raise EvalError(str(exc)) from exc
    if args.tasks:
        cases += task_cases(args.tier)
    if args.bfcl:
        from entropi.evaluation.bfcl import load_bfcl

        cases += load_bfcl(Path(args.bfcl), limit=args.bfcl_limit, seed=args.seed)
    if tiers:
        cases = [c for c in cases if (c.tier or c.expected_tier) in tiers or c.source == "bfcl"]
    if args.tags:
        cases = [c for c in cases if set(args.tags) & set(c.tags)]
    if args.ids:
        cases = [c for c in cases if any(fnmatch.fnmatch(c.id, p) for p in args.ids)]
    if args.limit:
        seen: dict[tuple[str, str], int] = {}
        kept = []
        for case in cases:
            group = (case.source, case.tier or "router")
            seen[group] = seen.get(group, 0) + 1
            if seen[group] <= args.limit:
                kept.append(case)
        cases = kept
    if not cases:
        raise EvalError("no eval case matches the options")
    return cases


def _rate(summary: dict[str, Any], key: str) -> str:
    metric = summary.get("overall", {}).get(key)
    if not metric or metric.get("rate") is None:
        return "-"
    return f"{metric['rate'] * 100:.1f}% [{metric['lo'] * 100:.0f}–{metric['hi'] * 100:.0f}] n={metric['n']}"


def _table(summaries: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="evaluation")
    table.add_column("metric")
    for label in summaries:
        table.add_column(label)
    for name, key in HEADLINE:
        table.add_row(name, *(_rate(s, key) for s in summaries.values()))
    return table


def run(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    from entropi.commands.common import config_from_args
    from entropi.evaluation.metrics import summarize, write_metric_files
    from entropi.evaluation.runner import RunOptions, evaluate_variants

    project_root = Path(args.project_root)
    config = config_from_args(args)
    cases = select_cases(args)
    specs = list(args.compare) if args.compare else [args.adapter]
    taken: set[str] = set()
    tiers = sorted({c.tier for c in cases if c.tier})
    variants = {}
    for spec in specs:
        per_tier = {t: resolve_adapter(spec, t, project_root) for t in tiers}
        if args.router:
            per_tier["router"] = resolve_adapter(spec, "router", project_root)
        variants[variant_label(spec, taken)] = per_tier
    out = Path(args.out) if args.out else project_root / ".entropi" / "eval" / time.strftime("%Y%m%d-%H%M%S")
    options = RunOptions(max_tokens=args.max_tokens, temperature=args.temperature, seed=args.seed)
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]eval[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    ) as progress:
        bar = progress.add_task(", ".join(variants), total=len(cases) * len(variants))

        def done(result: CaseResult) -> None:
            progress.update(bar, advance=1, description=f"{result.variant}: {result.case_id}")

        results = evaluate_variants(config, project_root, cases, variants, options=options, on_result=done)
    by_id = {c.id: c for c in cases}
    summaries: dict[str, dict[str, Any]] = {}
    files: dict[str, Any] = {}
    for label, rows in results.items():
        folder = out / label
        write_results(folder / "results.jsonl", rows)
        summary = summarize([(by_id[r.case_id], r) for r in rows], seed=args.seed)
        summaries[label] = summary
        files[label] = [str(p) for p in write_metric_files(folder, summary)]
    manifest: dict[str, Any] = {
        "cases": len(cases),
        "variants": {k: {t: str(p) if p else None for t, p in v.items()} for k, v in variants.items()},
        "options": options.__dict__,
        "seconds": round(time.perf_counter() - started, 1),
        "out": str(out),
        "files": files,
    }
    if len(results) == 2:
        from entropi.evaluation.compare import compare
        from entropi.evaluation.report import write_report

        (label_a, rows_a), (label_b, rows_b) = results.items()
        comparison = compare(cases, rows_a, rows_b, label_a=label_a, label_b=label_b, seed=args.seed)
        manifest["report"] = {k: str(v) for k, v in write_report(out, comparison).items()}
    (out / "run.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    console.print(_table(summaries))
    console.print(f"results and reports in {out}")
    return manifest


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The evaluation flags, on ``parser`` (the `entropi eval` subcommand) or a standalone parser."""
    from entropi.commands.common import add_runtime_options

    if parser is None:
        parser = argparse.ArgumentParser(
            prog="run_evaluation.py", description="Evaluate tiers and adapters on eval cases."
        )
        parser.add_argument("--project-root", default=".", help="project whose config and adapters are used")
    parser.add_argument("--cases", nargs="+", metavar="FILE", help="JSONL case files (default: shipped sets)")
    parser.add_argument("--tier", choices=TIERS, help="only this tier's cases (and its router cases)")
    parser.add_argument("--tasks", action="store_true", help="add the task suite as end-to-end cases")
    parser.add_argument("--bfcl", metavar="DIR", help="add BFCL cases from this directory")
    parser.add_argument("--bfcl-limit", type=int, default=20, help="BFCL cases per subset (default 20)")
    parser.add_argument("--tags", nargs="+", help="only cases with one of these tags")
    parser.add_argument("--ids", nargs="+", metavar="GLOB", help="only cases whose id matches")
    parser.add_argument("--limit", type=int, default=None, help="at most N cases per tier and source")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--adapter", default="current", help="none | current | vN | PATH (default current)")
    choice.add_argument("--compare", nargs=2, metavar=("A", "B"), help="A/B: two variant specs, one run")
    parser.add_argument("--out", help="output directory (default .entropi/eval/<timestamp>)")
    parser.add_argument(
        "--router", action="store_true", help="variants also swap the router adapter (lora_adapters/router/)"
    )
    parser.add_argument("--max-tokens", type=int, default=160, help="tokens generated per model call")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the run manifest as JSON")
    add_runtime_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from entropi.commands.common import CommandError

    args = build_parser().parse_args(argv)
    console = Console(stderr=True)
    try:
        manifest = run(args, console)
    except (EvalError, CommandError) as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        return 2
    if args.json:
        print(json.dumps(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
