"""BFCL's AST rules for a tool call's arguments: value normalization, equality, and the whole-call check.

Equality after normalization: strings are lowercased, a leading ``./`` is dropped, whitespace and
``,./-_*^`` are removed and single quotes read as double quotes; numbers are equal by value (``5 == 5.0``)
and never equal to a string unless the parameter's schema type is string (then numbers compare as their
text); booleans equal only booleans; lists elementwise in order; dicts key by key (same keys). A call passes
when every expected argument is present and equal, every accepted argument is equal to one alternative or
absent with ``""`` among them, every required parameter is present and no argument is outside the schema.
Non-goals: whether a call is schema-valid in the agent's sense (`entropi.agent.validation`), scoring.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from entropi.config.schema import known_tools

_STRIP = re.compile(r"[\s,./\-_*^]")


def normalize_string(text: str) -> str:
    """The form two strings are compared in."""
    while text.startswith("./"):
        text = text[2:]
    return _STRIP.sub("", text.lower()).replace("'", '"')


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _types(schema: Mapping[str, Any] | None) -> set[str]:
    kind = (schema or {}).get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _as_text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if _is_number(value) else value


def values_equal(expected: Any, actual: Any, schema: Mapping[str, Any] | None = None) -> bool:
    """Expected and actual argument values are equal after normalization; `schema`: the parameter's."""
    if "string" in _types(schema):
        expected, actual = _as_text(expected), _as_text(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if _is_number(expected) or _is_number(actual):
        return _is_number(expected) and _is_number(actual) and expected == actual
    if isinstance(expected, str) or isinstance(actual, str):
        both = isinstance(expected, str) and isinstance(actual, str)
        return both and normalize_string(expected) == normalize_string(actual)
    if isinstance(expected, list | tuple) or isinstance(actual, list | tuple):
        items = (schema or {}).get("items")
        return (
            isinstance(expected, list | tuple)
            and isinstance(actual, list | tuple)
            and len(expected) == len(actual)
            and all(values_equal(e, a, items) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, Mapping) or isinstance(actual, Mapping):
        props = (schema or {}).get("properties") or {}
        return (
            isinstance(expected, Mapping)
            and isinstance(actual, Mapping)
            and set(expected) == set(actual)
            and all(values_equal(v, actual[k], props.get(k)) for k, v in expected.items())
        )
    return expected == actual


def offered_schema(tools: Iterable[Mapping[str, Any]] | None, name: str) -> dict[str, Any] | None:
    """The ``parameters`` schema of tool `name` among `tools` (None: entropi's own tools); None if absent."""
    for tool in tools if tools is not None else known_tools().values():
        if tool.get("name") == name:
            return dict(tool.get("parameters") or {"type": "object", "properties": {}})
    return None


def arguments_problem(
    arguments: Mapping[str, Any],
    schema: Mapping[str, Any] | None,
    expected: Mapping[str, Any] | None = None,
    accepted: Mapping[str, Iterable[Any]] | None = None,
) -> str | None:
    """Why `arguments` fail the rules above, or None when they pass (`schema` None: no schema checks)."""
    props: Mapping[str, Any] = (schema or {}).get("properties") or {}
    for key, want in (expected or {}).items():
        if key not in arguments:
            return f"missing argument {key!r}"
        if not values_equal(want, arguments[key], props.get(key)):
            return f"{key}={arguments[key]!r}, expected {want!r}"
    for key, alternatives in (accepted or {}).items():
        alternatives = list(alternatives)
        if key not in arguments:
            if "" not in alternatives:
                return f"missing argument {key!r}"
        elif not any(values_equal(alt, arguments[key], props.get(key)) for alt in alternatives):
            return f"{key}={arguments[key]!r}, expected one of {alternatives!r}"
    if schema is not None:
        if missing := [key for key in schema.get("required", []) if key not in arguments]:
            return f"missing required {', '.join(map(repr, missing))}"
        if unknown := [key for key in arguments if key not in props]:
            return f"unknown argument {', '.join(map(repr, unknown))}"
    return None
