"""`entropi models list|pull|path`: see, fetch and locate base model GGUFs.

Scope: argument parsing and output for the model store (entropi.inference.model_store).
Non-goals: any model logic of its own; loading or hashing models.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from entropi.inference.gguf_info import GGUFError
from entropi.inference.model_store import (
    PRESETS,
    ModelEntry,
    ModelStoreError,
    list_models,
    pull,
    resolve_model,
)


def _models_dir(args: argparse.Namespace) -> Path:
    return args.models_dir if args.models_dir is not None else Path(args.project_root) / "models"


def _fail(message: str) -> int:
    print(f"entropi models: error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _size(size_bytes: int | None) -> str:
    if size_bytes is None:
        return ""
    return f"{size_bytes / 1e9:.2f} GB" if size_bytes >= 1e9 else f"{size_bytes / 1e6:.1f} MB"


def _entry_json(entry: ModelEntry) -> dict[str, object]:
    return {**asdict(entry), "path": None if entry.path is None else str(entry.path)}


def _entry_detail(entry: ModelEntry) -> str:
    if entry.note:
        return entry.note
    if entry.present:
        return str(entry.path)
    preset = PRESETS.get(entry.name)
    if entry.source == "preset" and preset is not None:
        return f"{preset.description} (~{preset.approx_size_gb:g} GB): entropi models pull {preset.name}"
    return ""


def cmd_list(args: argparse.Namespace) -> int:
    try:
        entries = list_models(_models_dir(args))
    except (ModelStoreError, GGUFError) as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps([_entry_json(e) for e in entries]))
        return 0
    table = Table(title=f"models ({_models_dir(args)})")
    table.add_column("name", no_wrap=True)
    table.add_column("source")
    table.add_column("present")
    table.add_column("arch")
    table.add_column("size", justify="right")
    table.add_column("path / how to get it", overflow="fold")
    for e in entries:
        table.add_row(
            e.name,
            e.source,
            "yes" if e.present else "no",
            e.arch or "",
            _size(e.size_bytes),
            _entry_detail(e),
        )
    Console().print(table)
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    try:
        path = pull(args.name, _models_dir(args), filename=args.file, source_dir=args.source_dir)
    except (ModelStoreError, GGUFError) as exc:
        return _fail(str(exc))
    Console().print(f"[green]ready[/green] {args.name} → {path}", soft_wrap=True)
    return 0


def cmd_path(args: argparse.Namespace) -> int:
    try:
        path = resolve_model(args.name, _models_dir(args))
    except (ModelStoreError, GGUFError) as exc:
        return _fail(str(exc))
    print(path)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `models` and its sub-commands to the main CLI's subparsers."""
    models = subparsers.add_parser("models", help="list, pull and locate base model GGUFs")
    sub = models.add_subparsers(dest="models_command", metavar="{list,pull,path}", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text)
        parser.add_argument(
            "--dir",
            dest="models_dir",
            type=Path,
            default=None,
            help="models directory (default: <project root>/models)",
        )
        return parser

    p_list = add("list", "the embedded model, the presets and the GGUFs in the models dir")
    p_list.add_argument("--json", action="store_true", help="print one JSON array instead of a table")
    p_list.set_defaults(func=cmd_list)

    p_pull = add("pull", "download a preset or a Hub GGUF into the models dir")
    p_pull.add_argument("name", help=f"a preset ({', '.join(PRESETS)}) or a Hub repo as owner/repo")
    p_pull.add_argument("--file", default=None, help="the GGUF file in the repo (needed for owner/repo)")
    p_pull.add_argument(
        "--from",
        dest="source_dir",
        type=Path,
        default=None,
        help="copy the file from this local directory instead of downloading",
    )
    p_pull.set_defaults(func=cmd_pull)

    p_path = add("path", "print the file a model name resolves to")
    p_path.add_argument("name", help="a preset, 'embedded', a local model's name, or a path")
    p_path.set_defaults(func=cmd_path)
