"""Labels for every assistant turn (model call): validity, execution, approval, outcome and coherence.

Validity reuses the agent's own checks (`entropi.agent.validation.validate_call` against the tool schemas the
call was offered, falling back to `known_tools()`), so "valid" here means what it means at dispatch; for
speed, a schema within the subset `schema_check.py` covers is checked there (same verdicts, tested), and
each call's verdict is memoized per offered tool list (the reader shares a session's tool schemas).
Selection rules live here too: `good` (kept for SFT) and `rejection` (the DPO pair type of a bad turn).
Non-goals: building rows (`examples.py`, `pairs.py`), deciding the coherence rules (`coherence.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from entropi.agent.validation import call_key, schema_errors, validate_call
from entropi.config.schema import known_tools
from entropi.data.coherence import Coherence, compile_rules, extract_intent, judge
from entropi.data.memo import MISSING, IdMemo
from entropi.data.schema_check import Check, compile_check
from entropi.data.turns import Call, Turn

Approval = Literal["approved", "denied", "not_asked"]
_COMPLETE = ("eos", "stop")
_NOT_MODEL_FAULT = ("cancelled", "context_full", "error")
_USER_DENIALS = ("deny", "deny_feedback")


@dataclass(frozen=True)
class CallLabels:
    """Everything known about one assistant turn. `problem` is the first reason it is not valid."""

    tools_called: tuple[str, ...]
    parses: bool
    known_tool: bool | None
    schema_valid: bool | None
    problem: str | None
    executed_ok: bool | None
    approval: Approval
    denied_by: Literal["user", "policy"] | None
    feedback: str | None
    coherence: Coherence
    outcome: Literal["good", "bad"] | None
    checker_passed: bool | None
    stop_reason: str

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def coherent(self) -> bool:
        return self.coherence.label == "coherent"

    @property
    def good(self) -> bool:
        """Kept for SFT: valid, coherent (or an answer with no stated intent), executed fine, not denied."""
        intent_ok = self.coherent or (self.coherence.label == "unclear" and not self.tools_called)
        return self.valid and intent_ok and self.executed_ok is not False and self.approval != "denied"

    @property
    def rejection(self) -> str | None:
        """The DPO pair type when this turn is a rejected example, else None."""
        if self.stop_reason in _NOT_MODEL_FAULT:
            return None
        if self.problem == "unknown_tool":
            return "unknown_tool"
        if self.problem is not None:
            return "invalid_call"
        if self.coherence.label == "incoherent":
            return "intent_mismatch"
        if self.denied_by is not None:
            return f"denied_by_{self.denied_by}"
        if self.executed_ok is False:
            return "failed_execution"
        return None


@cache
def _known() -> dict[str, dict[str, Any]]:
    return known_tools()


def offered_schemas(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Tool name → schema of the tools a call was offered (an OpenAI `function` wrapper is unwrapped)."""
    out = {}
    for tool in tools:
        schema = tool.get("function", tool) if isinstance(tool, Mapping) else None
        if isinstance(schema, Mapping) and isinstance(schema.get("name"), str):
            out[schema["name"]] = dict(schema)
    return out


def reasoning_of(call: Call) -> str:
    """The text that states intent: the thinking, or the visible text before a call when there is none."""
    parsed = call.record.parsed
    return parsed.thinking or (parsed.content if parsed.tool_calls else "")


def _parse_problem(call: Call) -> str | None:
    record = call.record
    if record.error:
        return "model_error"
    if record.stop_reason not in _COMPLETE:
        return f"incomplete_output:{record.stop_reason}"
    if record.parsed.parse_errors:
        return f"parse_error:{record.parsed.parse_errors[0].get('kind', 'unknown')}"
    if call.repaired:
        return "unusable_reply"
    return None


def _approval(call: Call) -> tuple[Approval, Literal["user", "policy"] | None, str | None]:
    decisions = [a.decision for a in call.approvals.values()]
    feedback = next((a.feedback for a in call.approvals.values() if a.feedback), None)
    if any(d in _USER_DENIALS for d in decisions):
        return "denied", "user", feedback
    if "auto_deny" in decisions or any(r.status == "denied" for r in call.results.values()):
        return "denied", "policy", feedback
    if decisions:
        return "approved", None, feedback
    return "not_asked", None, feedback


@cache
def _mutating() -> frozenset[str]:
    from entropi.agent.tools.registry import ToolRegistry

    registry = ToolRegistry.default()
    return frozenset(n for n in registry.names() if registry.get(n).mutates)


@dataclass
class _Offered:
    """What a call's offered tool list gives the labels, worked out once per list (see `offered_tools`)."""

    offered: dict[str, dict[str, Any]]  # tool name -> schema, as offered
    schemas: dict[str, dict[str, Any]]  # known tools, overridden by the offered ones
    names: tuple[str, ...]  # sorted, for the coherence extractor
    problems: dict[tuple[str, str], str | None] = field(default_factory=dict)  # (name, call key) -> code
    checks: dict[str, Check | None] = field(default_factory=dict)

    def check(self, name: str) -> Check | None:
        """The fast schema check of tool `name`'s parameters, or None (outside the subset it covers)."""
        if name not in self.checks:
            self.checks[name] = compile_check(self.schemas[name].get("parameters") or {"type": "object"})
        return self.checks[name]

    def valid(self, name: str, arguments: Mapping[str, Any]) -> bool:
        """`not schema_errors(schemas[name], arguments)`, by the fast check where the schema allows."""
        check = self.check(name)
        if check is None:
            return not schema_errors(self.schemas[name], arguments)
        return check(dict(arguments))


_OFFERED: IdMemo[_Offered] = IdMemo(1024)


def offered_tools(tools: list[dict[str, Any]]) -> _Offered:
    """What the labels make of a call's offered tool list (`offered`: name → schema, `valid`, ...); memoized
    by the identity of its schema dicts, which the log reader shares between the records of a session
    (read-only)."""
    key = tuple(tools)
    found = _OFFERED.get(key)
    if found is MISSING:
        offered = offered_schemas(tools)
        found = _OFFERED.put(
            key, _Offered(offered, {**_known(), **offered}, tuple(sorted({*_known(), *offered})))
        )
    return found


def _problem(tools: _Offered, name: str, arguments: dict[str, Any], key: str, seen: set[str]) -> str | None:
    """`validate_call(...).code` (None: no problem). Everything it checks before the duplicate check
    depends only on the call and the offered tools, so that part is memoized per tool list; the duplicate
    check, its last, is `key in seen`."""
    code = tools.problems.get((name, key), MISSING)
    if code is MISSING:
        check = tools.check(name) if name in tools.offered and name in tools.schemas else None
        if check is not None:  # the schema check alone, as `validate_call` does it (see schema_check.py)
            code = None if check(dict(arguments)) else "schema_violation"
        else:
            found = validate_call(name, arguments, schemas=tools.schemas, allowed=tools.offered, seen=set())
            code = None if found is None else found.code
        if len(tools.problems) >= 4096:  # bounded: calls rarely repeat exactly
            tools.problems.clear()
        tools.problems[(name, key)] = code
    if code is None and key in seen:
        return "duplicate_call"
    return code


def label_call(call: Call, turn: Turn, seen: set[str]) -> CallLabels:
    """Labels of one call; `seen` holds the turn's earlier call keys (duplicate detection) and is updated."""
    record = call.record
    tools = offered_tools(record.tools)
    calls = record.parsed.tool_calls
    parse_problem = _parse_problem(call)
    problem = parse_problem
    known = schema_ok = None
    for tc in calls:
        key = call_key(tc.name, tc.arguments)
        code = _problem(tools, tc.name, tc.arguments, key, seen)
        known = (known is not False) and tc.name in tools.schemas
        schema_ok = (schema_ok is not False) and code != "schema_violation"
        if code is None:
            seen.add(key)
            result = call.results.get(tc.id)
            if tc.name in _mutating() and result is not None and result.status == "ok":
                seen.clear()  # as the agent loop does: after a change, the same call may differ
        elif problem is None:
            problem = code
    results = [call.results.get(tc.id) for tc in calls]
    executed = None if not calls else all(r is not None and r.status == "ok" for r in results)
    approval, denied_by, feedback = _approval(call)
    first = (calls[0].name, calls[0].arguments) if calls else None
    signals = [o for o in turn.outcomes if o.signal in ("good", "bad")]
    checks = [o for o in turn.outcomes if o.signal == "checker" and o.passed is not None]
    return CallLabels(
        tools_called=tuple(tc.name for tc in calls),
        parses=parse_problem is None,
        known_tool=known,
        schema_valid=schema_ok,
        problem=problem,
        executed_ok=executed,
        approval=approval,
        denied_by=denied_by,
        feedback=feedback,
        coherence=judge(extract_intent(reasoning_of(call), tools.names), first),
        outcome=signals[-1].signal if signals else None,  # type: ignore[arg-type]
        checker_passed=checks[-1].passed if checks else None,
        stop_reason=record.stop_reason,
    )


def prepare() -> None:
    """Does the labels' one-time work up front (the tool registry, the coherence rules for the known tools),
    so that a streaming pass only does per-record work."""
    _mutating()
    compile_rules(_known())


def label_turn(turn: Turn) -> list[CallLabels]:
    """Labels of each call of the turn, in order (duplicate calls are judged across the whole turn)."""
    seen: set[str] = set()
    return [label_call(call, turn, seen) for call in turn.calls]
