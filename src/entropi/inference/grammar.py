"""GBNF grammars that constrain tool-call decoding to the tier's tool schemas.

Two modes, chosen per tier (``tiers.<t>.grammar``): ``lazy`` leaves free text alone and only constrains what
follows ``<tool_call>`` (so every call the model starts is valid JSON naming a real tool with schema-valid
arguments); ``force_first`` makes the first model call of a user turn a tool call (optionally after a
``<think>`` block), later calls lazy. The JSON part is generated with llama-cpp-python's JSON-schema→GBNF
converter. Non-goals: grammars for free text or multiple calls per reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from llama_cpp.llama_grammar import json_schema_to_gbnf

from entropi.inference.output_parser import CALL_CLOSE, CALL_OPEN, THINK_CLOSE, THINK_OPEN

MODES = ("off", "lazy", "force_first")
TRIGGER_PATTERN = r"[\s\S]*?(" + re.escape(CALL_OPEN) + r")[\s\S]*"


def _gbnf_literal(text: str) -> str:
    return json.dumps(text)


def _calls_schema(tools: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    alternatives = []
    for tool in tools:
        params = dict(tool.get("parameters") or {"type": "object"})
        params.setdefault("type", "object")
        alternatives.append(
            {
                "type": "object",
                "properties": {"name": {"const": tool["name"]}, "arguments": params},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    return {"oneOf": alternatives} if len(alternatives) > 1 else alternatives[0]


@lru_cache(maxsize=32)
def _call_rules(tools_json: str) -> str:
    rules = json_schema_to_gbnf(json.dumps(_calls_schema(json.loads(tools_json))))
    return re.sub(r"^root ::=", "call-json ::=", rules, count=1, flags=re.M)


def tool_call_grammar(tools: Sequence[Mapping[str, Any]], *, force: bool, think: bool = False) -> str:
    """The GBNF text; ``force`` requires a call (after an optional think block), else the call alone."""
    if not tools:
        raise ValueError("a tool-call grammar needs at least one tool")
    rules = _call_rules(json.dumps(list(tools), sort_keys=True))
    call = f'{_gbnf_literal(CALL_OPEN)} "\\n"? call-json "\\n"? {_gbnf_literal(CALL_CLOSE)}'
    if force and think:
        head = (
            f"root ::= ( {_gbnf_literal(THINK_OPEN)} think-char* {_gbnf_literal(THINK_CLOSE)} [ \\n]* )? "
            f'{call}\nthink-char ::= [^<] | "<" [^/]\n'
        )
    else:
        head = f"root ::= {call}\n"
    return head + rules
