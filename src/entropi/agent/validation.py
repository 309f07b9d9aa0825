"""Checks one parsed tool call before anything runs: known tool, allowed for the tier, schema-valid, new.

Problems are data (``CallProblem``) that become a structured error message the model sees and a log record;
nothing here raises on model output. Non-goals: permissions (``permissions.py``), execution.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator


@dataclass(frozen=True)
class CallProblem:
    """Why a call was not executed; ``code`` is stable, ``message`` tells the model what to do."""

    code: str  # unknown_tool | tool_not_allowed | schema_violation | duplicate_call
    message: str

    def to_content(self) -> str:
        return json.dumps({"error": self.code, "message": self.message}, ensure_ascii=False)


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def call_key(name: str, arguments: Mapping[str, Any]) -> str:
    """Canonical identity of a call (name + arguments, key order ignored)."""
    return name + "\x00" + json.dumps(arguments, sort_keys=True, ensure_ascii=False, default=str)


def schema_errors(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> list[str]:
    """Readable schema violations of ``arguments`` (empty when valid)."""
    validator = _validator(json.dumps(schema.get("parameters") or {"type": "object"}, sort_keys=True))
    out = []
    for err in sorted(validator.iter_errors(dict(arguments)), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "arguments"
        out.append(f"{where}: {err.message}")
    return out


def validate_call(
    name: str,
    arguments: Mapping[str, Any],
    *,
    schemas: Mapping[str, Mapping[str, Any]],
    allowed: Iterable[str],
    seen: set[str],
) -> CallProblem | None:
    """The first problem of a call, or None when it may go on to the permission check."""
    allowed = list(allowed)
    if name not in schemas:
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return CallProblem(
            "unknown_tool", f"There is no tool {name!r}.{hint} Available: {', '.join(allowed)}."
        )
    if name not in allowed:
        return CallProblem(
            "tool_not_allowed",
            f"{name} is not available in this tier. Available: {', '.join(allowed)}; "
            "use entropi.handoff to move the task to a tier that has it.",
        )
    errors = schema_errors(schemas[name], arguments)
    if errors:
        return CallProblem("schema_violation", f"Invalid arguments for {name}: " + "; ".join(errors[:5]))
    key = call_key(name, arguments)
    if key in seen:
        return CallProblem(
            "duplicate_call",
            f"You already called {name} with exactly these arguments in this turn; use its result "
            "instead of calling again.",
        )
    return None
