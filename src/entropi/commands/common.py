"""Options shared by commands that run the model, and turning them into a config and a runtime."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from entropi.config import TIERS, ConfigError, EntropiConfig, load_config
from entropi.inference.model_store import ModelStoreError, resolve_model

err = Console(stderr=True, highlight=False)


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2."""


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    """Flags that become the "command line" config layer."""
    group = parser.add_argument_group("model")
    group.add_argument("--model", default=None, help="base GGUF: a path, a pulled preset name or 'embedded'")
    group.add_argument("--n-ctx", type=int, default=None, help="context window in tokens")
    group.add_argument("--threads", type=int, default=None, help="CPU threads for generation and prefill")
    group.add_argument("--no-log", action="store_true", help="do not write the model log for this run")


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """``--plan`` (read-only mode, through the config layer) and ``--resume [SESSION]``."""
    parser.add_argument(
        "--plan", action="store_true", help="read-only plan mode: tools that change things are refused"
    )
    parser.add_argument(
        "--resume",
        nargs="?",
        const="",
        default=None,
        metavar="SESSION",
        help="continue the latest session (or the given one)",
    )


def cli_overrides(args: argparse.Namespace) -> dict[str, Any]:
    model: dict[str, Any] = {}
    if getattr(args, "model", None):
        try:
            model["path"] = str(resolve_model(args.model, Path(args.project_root) / "models"))
        except ModelStoreError as exc:
            raise CommandError(str(exc)) from exc
    if getattr(args, "n_ctx", None) is not None:
        model["n_ctx"] = args.n_ctx
    if getattr(args, "threads", None) is not None:
        model["n_threads"] = model["n_threads_batch"] = args.threads
    out: dict[str, Any] = {"model": model} if model else {}
    if getattr(args, "no_log", False):
        out["log"] = {"enabled": False}
    if getattr(args, "max_tokens", None) is not None:
        out["tiers"] = {t: {"sampling": {"max_tokens": args.max_tokens}} for t in TIERS}
    if getattr(args, "max_iterations", None) is not None:
        out["agent"] = {"max_iterations": args.max_iterations}
    if getattr(args, "plan", False):
        out["permissions"] = {"plan_mode": True}
    return out


def config_from_args(args: argparse.Namespace) -> EntropiConfig:
    try:
        return load_config(Path(args.project_root), cli_overrides=cli_overrides(args))
    except ConfigError as exc:
        raise CommandError(f"configuration error:\n{exc}") from exc


def open_runtime(args: argparse.Namespace, *, with_router: bool = True):  # -> Runtime
    """Load config and the runtime; adapter fallbacks are shown as warnings."""
    from entropi.inference.runtime import Runtime  # imported late: loads llama.cpp

    config = config_from_args(args)
    try:
        runtime = Runtime(config, project_root=Path(args.project_root), with_router=with_router)
    except Exception as exc:  # llama.cpp load failures, unreadable template, ...
        raise CommandError(f"could not start the model: {exc}") from exc
    for line in runtime.warnings:
        err.print(f"[yellow]warning:[/yellow] tier {escape(line)} — running on the base model")
    return runtime


def read_text_arg(text: str) -> str:
    """``-`` reads the text from stdin."""
    return sys.stdin.read() if text == "-" else text
