"""`entropi tools list` and `entropi tools call NAME 'JSON'`: run a tool directly, under the same rules."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from entropi.commands.common import CommandError, config_from_args


def cmd_list(args: argparse.Namespace) -> int:
    from entropi.agent.tools.registry import ToolRegistry

    registry = ToolRegistry.default()
    config = config_from_args(args)
    if args.json:
        print(json.dumps([registry.get(n).schema for n in registry.names()]))
        return 0
    table = Table(title="tools")
    for col in ("name", "changes things", "tiers", "description"):
        table.add_column(col)
    for name in registry.names():
        tool = registry.get(name)
        tiers = ", ".join(t for t, cfg in config.tiers.items() if name in cfg.tools)
        table.add_row(name, "yes" if tool.mutates else "", tiers, tool.schema.get("description", ""))
    Console().print(table)
    return 0


def cmd_call(args: argparse.Namespace) -> int:
    from entropi.agent.permissions import HeadlessApprover, PermissionPolicy
    from entropi.agent.tools.base import ToolContext
    from entropi.agent.tools.files import FileTracker
    from entropi.agent.tools.registry import ToolRegistry
    from entropi.agent.tools.todo import TodoList
    from entropi.agent.validation import schema_errors

    config = config_from_args(args)
    registry = ToolRegistry.default()
    tool = registry.get(args.name)
    if tool is None:
        raise CommandError(f"unknown tool {args.name!r}; see `entropi tools list`")
    try:
        arguments = json.loads(args.arguments)
    except json.JSONDecodeError as exc:
        raise CommandError(f"arguments are not JSON: {exc}") from exc
    if not isinstance(arguments, dict):
        raise CommandError("arguments must be a JSON object")
    problems = schema_errors(tool.schema, arguments)
    if problems:
        raise CommandError(f"invalid arguments for {args.name}: " + "; ".join(problems))
    policy = PermissionPolicy(config.permissions, project_root=args.project_root)
    check = policy.check(tool, arguments)
    if check.decision == "deny":
        raise CommandError(f"denied: {check.reason}")
    if check.decision == "ask":
        answer = HeadlessApprover(args.yes)(policy.approval_request(tool, arguments, check))
        if answer.decision not in ("allow_once", "allow_always"):
            raise CommandError(answer.feedback or "denied")
    files = FileTracker()
    ctx = ToolContext(
        project_root=args.project_root, config=config.tools, files=files, todos=TodoList(), tier="code"
    )
    if args.name in ("filesystem.write_file", "filesystem.edit_file"):
        target = arguments.get("path", "")
        if target:
            registry.execute("filesystem.read_file", {"path": target}, ctx)  # a direct call is its own reader
    result = registry.execute(args.name, arguments, ctx)
    if args.json:
        print(
            json.dumps(
                {
                    "status": result.status,
                    "error_code": result.error_code,
                    "content": result.content,
                    "data": result.data,
                    "duration_ms": result.duration_ms,
                },
                default=str,
            )
        )
    else:
        print(result.content)
    return 0 if result.status == "ok" else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("tools", help="list the tools or call one directly")
    sub = p.add_subparsers(dest="tools_command", metavar="{list,call}", required=True)
    p_list = sub.add_parser("list", help="every tool, whether it changes things, and which tiers offer it")
    p_list.add_argument("--json", action="store_true", help="print the tool schemas as JSON")
    p_list.set_defaults(func=cmd_list)
    p_call = sub.add_parser("call", help="run one tool under the permission rules")
    p_call.add_argument("name", help="tool name, e.g. filesystem.read_file")
    p_call.add_argument("arguments", nargs="?", default="{}", help="arguments as a JSON object")
    p_call.add_argument("--yes", action="store_true", help="approve a call that would ask")
    p_call.add_argument("--json", action="store_true", help="print the result as JSON")
    p_call.set_defaults(func=cmd_call)
