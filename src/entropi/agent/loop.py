"""One user turn: route → (build context → model call → repair? → validate → permit → execute)* → answer.

Limits: ``agent.max_iterations`` model calls, ``agent.max_tool_calls`` calls, a duplicate-call breaker,
``agent.max_consecutive_errors`` failed calls in a row, and cancellation between any two steps. Every
validation problem, permission decision and tool result is written to the model log, linked to the model call
that produced it. Non-goals: sessions and persistence (``session.py``), rendering (UIs consume events).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from entropi.agent import events as ev
from entropi.agent.context import ContextManager, ContextOverflowError, Conversation
from entropi.agent.model import ModelClient
from entropi.agent.permissions import ApprovalDecision, Approver, PermissionPolicy
from entropi.agent.repair import repair_message, repair_problems
from entropi.agent.stream import StreamSplitter
from entropi.agent.tools.base import ToolContext, ToolResult
from entropi.agent.tools.registry import ToolRegistry
from entropi.agent.validation import CallProblem, call_key, validate_call
from entropi.config.schema import AgentConfig
from entropi.inference.output_parser import ToolCall
from entropi.modellog import ApprovalRecord, ToolResultRecord

Emit = Callable[[ev.Event], None]


@dataclass
class TurnOutcome:
    """What one user turn produced (also the JSON transcript's unit)."""

    turn_index: int
    tier: str
    answer: str = ""
    stop_reason: str = "answer"
    model_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    routing: dict[str, Any] = field(default_factory=dict)


@dataclass
class TurnDeps:
    """What a turn needs; built once per session."""

    model: ModelClient
    registry: ToolRegistry
    policy: PermissionPolicy
    approver: Approver
    context: ContextManager
    tool_ctx: ToolContext
    limits: AgentConfig
    emit: Emit = lambda _e: None


@dataclass
class _State:
    tier: str
    seen: set[str] = field(default_factory=set)
    n_calls: int = 0
    errors_in_a_row: int = 0
    call_index: int = 0


def _tool_message(call: ToolCall, content: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call.id, "name": call.name, "content": content}


class _Turn:
    """The steps of one turn over shared deps and per-turn state (small methods, one job each)."""

    def __init__(self, deps: TurnDeps, conv: Conversation, turn_index: int, cancel: threading.Event | None):
        self.d = deps
        self.conv = conv
        self.turn_index = turn_index
        self.cancel = cancel

    def run(self, text: str, tier_override: str | None) -> TurnOutcome:
        routing = self.d.model.route(text, override=tier_override)
        out = TurnOutcome(self.turn_index, routing.tier, routing=routing.to_dict())
        self.d.emit(
            ev.TurnStarted(self.turn_index, text, routing.tier, dict(routing.scores), routing.overridden)
        )
        self.conv.add({"role": "user", "content": text}, self.turn_index, "user")
        st = _State(tier=routing.tier)
        repairs_left, repair_of = self.d.limits.max_repairs, None
        for _ in range(self.d.limits.max_iterations):
            if self._cancelled():
                return self._finish(out, st, "cancelled")
            try:
                built = self.d.context.build(self.conv, self.turn_index, st.tier, self._anchor())
            except ContextOverflowError as exc:
                out.answer = str(exc)
                return self._finish(out, st, "context_overflow")
            if built.compacted:
                self.d.emit(ev.ContextCompacted(built.tokens_before, built.tokens))
            result = self._call_model(st, built.messages, routing if st.call_index == 0 else None, repair_of)
            out.model_calls.append(
                {
                    "tier": st.tier,
                    "record_id": result.record_id,
                    "stop_reason": result.stop_reason,
                    "timings": result.timings,
                    "repair_of": repair_of,
                }
            )
            self.conv.add(result.parsed.to_assistant_message(), self.turn_index, "assistant")
            repair_of = None
            if result.stop_reason == "cancelled":
                out.answer = result.parsed.content
                return self._finish(out, st, "cancelled")
            problems = repair_problems(result.parsed, tools_offered=bool(self.d.model.allowed_tools(st.tier)))
            if problems and repairs_left > 0:
                repairs_left -= 1
                repair_of = result.record_id
                self.d.emit(ev.RepairRequested("unusable_reply", problems))
                self.conv.add(repair_message(problems), self.turn_index, "repair")
                continue
            if not result.parsed.tool_calls:
                out.answer = result.parsed.content
                return self._finish(out, st, "answer" if not problems else "unrepaired_output")
            repairs_left = self.d.limits.max_repairs
            stop = self._run_calls(st, result.parsed.tool_calls, result.record_id, out)
            if stop:
                return self._finish(out, st, stop)
        return self._finish(out, st, "max_iterations")

    # -- steps ---------------------------------------------------------------------------------------
    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def _anchor(self) -> str | None:
        todos = self.d.tool_ctx.todos
        return f"[entropi] {todos.render()}" if todos.to_list() else None

    def _call_model(self, st: _State, messages, routing, repair_of):
        self.d.emit(ev.ModelCallStarted(st.tier, st.call_index, self.d.model.adapter_label(st.tier)))
        splitter = StreamSplitter(lambda ch, text: self.d.emit(ev.StreamDelta(ch, text)))
        result = self.d.model.turn(
            st.tier,
            messages,
            routing=routing,
            turn_index=self.turn_index,
            call_index=st.call_index,
            on_text=splitter.feed,
            cancel=self.cancel,
            repair_of=repair_of,
        )
        splitter.flush()
        self.d.emit(
            ev.ModelCallFinished(st.tier, st.call_index, result.stop_reason, result.timings, result.record_id)
        )
        st.call_index += 1
        return result

    def _run_calls(
        self, st: _State, calls: list[ToolCall], record_id: str | None, out: TurnOutcome
    ) -> str | None:
        """Validate, permit and execute each call; returns a stop reason or None to go on."""
        schemas = {name: self.d.registry.get(name).schema for name in self.d.registry.names()}
        for call in calls:
            if self._cancelled():
                return "cancelled"
            if st.n_calls >= self.d.limits.max_tool_calls:
                return "max_tool_calls"
            st.n_calls += 1
            self.d.emit(ev.ToolCallStarted(call.id, call.name, dict(call.arguments)))
            allowed = self.d.model.allowed_tools(st.tier)
            problem = validate_call(call.name, call.arguments, schemas=schemas, allowed=allowed, seen=st.seen)
            if problem is not None:
                result, decision = self._problem_result(problem), None
            else:
                st.seen.add(call_key(call.name, call.arguments))
                result, decision = self._permit_and_run(st, call, record_id)
            self._record(st, call, result, decision, record_id, out)
            if result.status == "error":
                st.errors_in_a_row += 1
                if st.errors_in_a_row >= self.d.limits.max_consecutive_errors:
                    return "too_many_errors"
                if problem is not None and problem.code == "duplicate_call" and st.errors_in_a_row >= 2:
                    return "duplicate_calls"
            else:
                st.errors_in_a_row = 0
                if self.d.registry.get(call.name).mutates:
                    st.seen.clear()  # the world changed: the same read or test run may now differ
                self._apply_effects(st, call, result)
        return None

    @staticmethod
    def _problem_result(problem: CallProblem) -> ToolResult:
        return ToolResult(status="error", content=problem.to_content(), error_code=problem.code)

    def _permit_and_run(self, st: _State, call: ToolCall, record_id: str | None) -> tuple[ToolResult, str]:
        tool = self.d.registry.get(call.name)
        check = self.d.policy.check(tool, call.arguments)
        decision = "auto_allow"
        if check.decision == "deny":
            self._log_approval(call, record_id, "auto_deny", None, check.rule)
            return ToolResult(
                status="error", content=f"denied: {check.reason}", error_code="denied"
            ), "auto_deny"
        if check.decision == "ask":
            answer: ApprovalDecision = self.d.approver(
                self.d.policy.approval_request(tool, call.arguments, check)
            )
            decision = answer.decision
            self._log_approval(call, record_id, decision, answer.feedback, check.rule)
            if decision in ("deny", "deny_feedback"):
                note = f" The user says: {answer.feedback}" if answer.feedback else ""
                return ToolResult(
                    status="error", content=f"denied by the user.{note}", error_code="denied"
                ), decision
            if decision == "allow_always":
                self.d.policy.remember(tool, call.arguments)
        self.d.tool_ctx.tier = st.tier
        return self.d.registry.execute(call.name, dict(call.arguments), self.d.tool_ctx), decision

    def _apply_effects(self, st: _State, call: ToolCall, result: ToolResult) -> None:
        if call.name == "entropi.handoff" and result.data.get("tier"):
            st.tier = result.data["tier"]
            self.d.emit(ev.TierChanged(st.tier, str(result.data.get("reason", ""))))
        if call.name == "entropi.todo_write":
            self.d.emit(ev.TodoUpdated(list(self.d.tool_ctx.todos.to_list())))

    def _record(self, st, call: ToolCall, result: ToolResult, decision, record_id, out: TurnOutcome) -> None:
        self.conv.add(_tool_message(call, result.content), self.turn_index, "tool")
        self.d.emit(
            ev.ToolCallFinished(
                call.id,
                call.name,
                result.status,
                result.content,
                result.duration_ms,
                result.error_code,
                decision,
            )
        )
        out.tool_calls.append(
            {
                "id": call.id,
                "name": call.name,
                "arguments": call.arguments,
                "tier": st.tier,
                "status": result.status,
                "error_code": result.error_code,
                "decision": decision,
                "duration_ms": round(result.duration_ms, 2),
                "content": result.content,
            }
        )
        status = "denied" if result.error_code == "denied" else result.status
        self._log(
            ToolResultRecord,
            call,
            record_id,
            arguments=dict(call.arguments),
            status=status,
            content=result.content,
            duration_ms=max(result.duration_ms, 0.0),
            error_code=result.error_code,
            tier=st.tier,
        )

    def _log_approval(self, call: ToolCall, record_id, decision: str, feedback: str | None, rule) -> None:
        self._log(ApprovalRecord, call, record_id, decision=decision, feedback=feedback, rule=rule)

    def _log(self, kind: type, call: ToolCall, record_id: str | None, **fields: Any) -> None:
        """Append a record about ``call`` that points at the model call which produced it."""
        log = self.d.model.log
        if log.enabled and record_id:
            log.append(
                kind(
                    session_id=self.d.model.session_id,
                    turn_index=self.turn_index,
                    call_record_id=record_id,
                    tool_call_id=call.id,
                    name=call.name,
                    **fields,
                )
            )

    def _finish(self, out: TurnOutcome, st: _State, reason: str) -> TurnOutcome:
        out.stop_reason, out.tier = reason, st.tier
        self.d.emit(
            ev.TurnFinished(
                self.turn_index, out.answer, reason, st.tier, len(out.model_calls), len(out.tool_calls)
            )
        )
        return out


def run_turn(
    deps: TurnDeps,
    conv: Conversation,
    turn_index: int,
    text: str,
    *,
    tier: str | None = None,
    cancel: threading.Event | None = None,
) -> TurnOutcome:
    """Run one user turn to its end (answer, limit, cancel or overflow); never raises on model output."""
    return _Turn(deps, conv, turn_index, cancel).run(text, tier)
