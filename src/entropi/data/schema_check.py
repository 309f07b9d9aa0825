"""A fast exact validity check for the JSON Schema subset tool parameters use, for labelling many calls.

`compile_check(parameters)` gives a function `arguments -> bool` that says exactly what
`jsonschema.Draft202012Validator(parameters).iter_errors(arguments)` yielding nothing says, or None when the
schema uses anything outside the subset; then the caller goes the agent's way (`validate_call`). The subset:
`type` (one or a list of the seven JSON types, integers as jsonschema counts them: 1.0 is one, True is not),
`properties`, `required`, `additionalProperties` (a boolean or a schema), `items` (a schema), `enum` (of
strings), `minItems`, `minimum`, and the annotations `description`, `title`, `default`.
Non-goals: error messages (callers that need them ask jsonschema), any other keyword, `$ref`.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"description", "title", "default"})
_KEYWORDS = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "enum", "minItems", "minimum"}
)


# The type checks of jsonschema's Draft 2020-12 type checker, as it defines them.
def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Number)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    "integer": _is_integer,
}


def compile_check(schema: Any) -> Check | None:
    """The check for `schema` (a JSON schema dict), or None when it is outside the subset."""
    if type(schema) is bool:
        return (lambda v: True) if schema else (lambda v: False)
    if type(schema) is not dict or not set(schema) <= _KEYWORDS | _ANNOTATIONS:
        return None
    checks: list[Check] = []
    if "type" in schema:
        names = schema["type"] if type(schema["type"]) is list else [schema["type"]]
        if not names or not all(type(n) is str and n in _TYPES for n in names):
            return None
        tests = [_TYPES[n] for n in names]
        checks.append(tests[0] if len(tests) == 1 else lambda v: any(t(v) for t in tests))
    if "enum" in schema:
        options = schema["enum"]
        if type(options) is not list or not all(type(o) is str for o in options):
            return None  # jsonschema's equality (True != 1, 1 == 1.0) matters only for non-strings
        checks.append(lambda v: v in options)
    if "minimum" in schema:
        low = schema["minimum"]
        if type(low) not in (int, float):
            return None
        checks.append(lambda v: not _is_number(v) or not v < low)
    if "minItems" in schema:
        least = schema["minItems"]
        if type(least) is not int or least < 0:
            return None
        checks.append(lambda v: not isinstance(v, list) or len(v) >= least)
    if "items" in schema:
        item = compile_check(schema["items"])
        if item is None:
            return None
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
    object_check = _object_check(schema)
    if object_check is None:
        return None
    if object_check is not _any:
        checks.append(object_check)
    return lambda v: all(check(v) for check in checks)


def _any(value: Any) -> bool:
    return True


def _object_check(schema: Mapping[str, Any]) -> Check | None:
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    if type(properties) is not dict or type(required) is not list:
        return None
    if not all(type(r) is str for r in required):
        return None
    subs = {name: compile_check(sub) for name, sub in properties.items()}
    extra_check = compile_check(extra)
    if any(c is None for c in subs.values()) or extra_check is None:
        return None
    if not subs and not required and extra is True:
        return _any

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            sub = subs.get(name)
            if not (sub(item) if sub is not None else extra_check(item)):
                return False
        return True

    return check
