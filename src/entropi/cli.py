"""The ``entropi`` command: composes one sub-command module per command (``entropi/commands/``)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.markup import escape

from entropi import __version__
from entropi.commands import (
    adapters,
    ask,
    chat,
    evaluate,
    models,
    route,
    selfplay,
    sessions,
    synth,
    tools,
    tui,
)
from entropi.commands.common import CommandError, err
from entropi.config import find_project_root

COMMANDS = (tui, chat, ask, route, models, tools, sessions, selfplay, synth, adapters, evaluate)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="entropi",
        description="A local coding agent that gets better from its own use.",
    )
    parser.add_argument("--version", action="version", version=f"entropi {__version__}")
    parser.add_argument(
        "--project",
        type=Path,
        default=None,
        help="project root (default: nearest folder with .entropi/ or .git/)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log llama.cpp warnings and debug output"
    )
    sub = parser.add_subparsers(dest="command")
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not args.verbose:
        logging.getLogger("entropi.inference.llama_model").setLevel(logging.ERROR)
    args.project_root = (args.project or find_project_root(Path.cwd())).resolve()
    if args.command is None:
        if not sys.stdin.isatty():
            parser.print_help()
            return 0
        args.func = tui.cmd_tui
    try:
        return args.func(args)
    except CommandError as exc:
        err.print(f"[red]entropi:[/red] {escape(str(exc))}", soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
