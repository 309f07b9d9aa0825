"""BFCL (Berkeley Function Calling Leaderboard) files → `EvalCase`s with their own tools (`source="bfcl"`).

Reads `BFCL_v4_<subset>.jsonl` and, except for irrelevance, `BFCL_v4_<subset>.answers.jsonl` (joined by id).
Each case: `messages` = the question's first turn (a leading system message is folded into the first user
message, since cases hold user/assistant/tool turns); `tools` = the offered functions with BFCL's schema
dialect mapped to JSON Schema (`dict`→`object`, `float`→`number`, `tuple`→`array`, `any`→ no type, recursively
through properties, items and combinators); `expected_tool` + `accepted_args` from the first ground truth
call `{name: {arg: [accepted values]}}` (`""` among the values: the argument may be omitted; a dict value
keeps BFCL's nested form, one list of accepted values per key); irrelevance: `expected_no_tool`. All run on
tier "normal" with the case's own tools, tagged `["bfcl", subset]`.
Non-goals: multi-turn, parallel or multi-call subsets; executing the functions; scoring (`metrics.py`).
"""

from __future__ import annotations

import copy
import json
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from entropi.evaluation.cases import EvalCase, describe_error

SUBSETS = ("simple_python", "multiple", "live_simple", "irrelevance")
NO_ANSWER_SUBSETS = frozenset({"irrelevance"})
BFCL_DIR_ENV = "ENTROPI_BFCL_DIR"
_TYPES = {"dict": "object", "float": "number", "tuple": "array"}
_SCHEMA_KEYS = ("items", "additionalProperties", "not")  # keywords whose value is one schema
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")  # keywords whose value is a list of schemas


class BfclError(ValueError):
    """A BFCL file that cannot be converted; the message names the file and line."""


def default_bfcl_dir(project_root: Path) -> Path:
    """`$ENTROPI_BFCL_DIR`, else `../shared/eval/bfcl` beside the project root."""
    env = os.environ.get(BFCL_DIR_ENV)
    return Path(env).expanduser() if env else project_root.parent / "shared" / "eval" / "bfcl"


def to_json_schema(schema: Any) -> Any:
    """A copy of a BFCL parameter schema in JSON Schema (see the module docstring)."""
    if not isinstance(schema, dict):
        return copy.deepcopy(schema)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            mapped = _json_type(value)
            if mapped is not None:
                out[key] = mapped
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_KEYS and isinstance(value, dict):
            out[key] = to_json_schema(value)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [to_json_schema(sub) for sub in value]
        else:
            out[key] = copy.deepcopy(value)
    return out


def _json_type(value: Any) -> Any:
    """BFCL type name(s) → JSON Schema type(s); None when any type is allowed."""
    if isinstance(value, list):
        mapped = [_json_type(v) for v in value]
        return None if None in mapped else mapped
    if value == "any":
        return None
    return _TYPES.get(value, value) if isinstance(value, str) else value


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BfclError(f"{path}: cannot read BFCL file ({exc})") from exc
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BfclError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise BfclError(f"{path}:{number}: expected an object with a string id")
        rows.append((number, raw))
    return rows


def _answers(path: Path) -> dict[str, tuple[str, dict[str, list[Any]]]]:
    """id → (function name, accepted values per argument) from the first ground-truth call."""
    answers = {}
    for number, raw in _rows(path):
        truth = raw.get("ground_truth")
        first = truth[0] if isinstance(truth, list) and truth else None
        if len(truth or []) != 1 or not isinstance(first, dict) or len(first) != 1:
            raise BfclError(
                f"{path}:{number}: ground_truth must hold exactly one {{name: {{arg: [values]}}}}"
            )
        ((name, args),) = first.items()
        if not isinstance(args, dict) or not all(isinstance(v, list) for v in args.values()):
            raise BfclError(f"{path}:{number}: ground_truth {name!r}: each argument needs a list of values")
        if raw["id"] in answers:
            raise BfclError(f"{path}:{number}: duplicate answer id {raw['id']!r}")
        answers[raw["id"]] = (name, args)
    return answers


def _messages(question: Any) -> list[dict[str, Any]]:
    """The first turn of a BFCL question, with a system message folded into the next user message."""
    if not isinstance(question, list) or not question or not isinstance(question[0], list):
        raise ValueError("question must be a list of turns, each a list of messages")
    messages, pending = [], []
    for message in question[0]:
        if message.get("role") == "system":
            pending.append(message.get("content", "").strip())
        elif message.get("role") == "user" and pending:
            messages.append({"role": "user", "content": "\n\n".join([*pending, message.get("content", "")])})
            pending = []
        else:
            messages.append({"role": message.get("role"), "content": message.get("content")})
    return messages


def _case(raw: dict[str, Any], subset: str, answer: tuple[str, dict[str, list[Any]]] | None) -> EvalCase:
    tools = [
        {
            "name": fn.get("name"),
            "description": fn.get("description", ""),
            "parameters": to_json_schema(fn.get("parameters")),
        }
        for fn in raw.get("function") or []
    ]
    if not tools:
        raise ValueError("the question offers no functions")
    return EvalCase(
        id=f"bfcl:{raw['id']}",
        tier="normal",
        messages=_messages(raw.get("question")),
        tools=tools,
        expected_tool=answer[0] if answer else None,
        accepted_args=copy.deepcopy(answer[1]) if answer else {},
        expected_no_tool=answer is None,
        tags=["bfcl", subset],
        source="bfcl",
    )


def load_subset(directory: Path, subset: str) -> list[EvalCase]:
    """Every case of one subset, in file order."""
    if subset not in SUBSETS:
        raise BfclError(f"unknown BFCL subset {subset!r}; supported: {', '.join(SUBSETS)}")
    questions = directory / f"BFCL_v4_{subset}.jsonl"
    answers = None if subset in NO_ANSWER_SUBSETS else _answers(directory / f"BFCL_v4_{subset}.answers.jsonl")
    cases = []
    for number, raw in _rows(questions):
        answer = None
        if answers is not None:
            if raw["id"] not in answers:
                raise BfclError(f"{questions}:{number}: no answer for {raw['id']!r}")
            answer = answers.pop(raw["id"])
        try:
            cases.append(_case(raw, subset, answer))
        except ValidationError as exc:
            raise BfclError(
                f"{questions}:{number}: cannot convert {raw['id']!r}: {describe_error(exc)}"
            ) from None
        except (ValueError, AttributeError, TypeError) as exc:
            first = str(exc).splitlines()[0]
            raise BfclError(f"{questions}:{number}: cannot convert {raw['id']!r}: {first}") from None
    if answers:
        raise BfclError(f"{questions}: answers without a question: {', '.join(sorted(answers)[:5])}")
    return cases


def load_bfcl(
    directory: Path,
    subsets: Sequence[str] = SUBSETS,
    limit: int | None = None,
    seed: int = 0,
) -> list[EvalCase]:
    """The cases of `subsets`; with `limit`, a seeded sample of at most `limit` per subset (file order kept,
    the same seed gives the same sample)."""
    if limit is not None and limit < 1:
        raise BfclError(f"limit must be at least 1, got {limit}")
    out: list[EvalCase] = []
    for subset in subsets:
        cases = load_subset(Path(directory), subset)
        if limit is not None and limit < len(cases):
            keep = set(random.Random(f"{seed}:{subset}").sample(range(len(cases)), limit))
            cases = [case for index, case in enumerate(cases) if index in keep]
        out += cases
    return out
