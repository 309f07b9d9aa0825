"""Shared helpers for the tool tests: a real ToolContext on a directory, schema-checked calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema

from entropi.agent.tools import FileTracker, TodoList, ToolContext, ToolRegistry, ToolResult
from entropi.config.schema import ToolsConfig, known_tools

REGISTRY = ToolRegistry.default()
SCHEMAS = known_tools()


def make_ctx(root: Path, *, tier: str = "normal", **limits: Any) -> ToolContext:
    return ToolContext(
        project_root=root, config=ToolsConfig(**limits), files=FileTracker(), todos=TodoList(), tier=tier
    )


def call(ctx: ToolContext, name: str, **args: Any) -> ToolResult:
    """Run a tool the way the agent loop does: arguments validated against the tool's schema first."""
    jsonschema.validate(args, SCHEMAS[name]["parameters"])
    return REGISTRY.execute(name, args, ctx)


def call_raw(ctx: ToolContext, name: str, args: Any) -> ToolResult:
    """Run a tool without schema validation (arguments the loop would have rejected)."""
    return REGISTRY.execute(name, args, ctx)
