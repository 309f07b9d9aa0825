"""The shapes of model-log records: one per model call, tool result, approval decision and outcome signal.

Every field is JSON-safe by construction (finite floats, `JsonValue` payloads), so a record written to the log
reads back equal. Non-goals: the on-disk format (see `logfile.py`) and deciding what to log (the callers do).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SerializerFunctionWrapHandler,
    model_serializer,
)

UtcTimestamp = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)$",
        description="ISO-8601 UTC time, e.g. 2026-11-22T10:01:02.123Z (see utc_now)",
    ),
]
JsonObject = dict[str, JsonValue]


def utc_now() -> str:
    """The current time as the log writes it: ISO-8601 UTC with milliseconds and a `Z`."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_record_id() -> str:
    """A fresh record id (uuid4 hex)."""
    return uuid.uuid4().hex


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _Record(_Model):
    record_id: str = Field(default_factory=new_record_id, pattern=r"^[0-9a-f]{32}$")
    session_id: str = Field(min_length=1, max_length=200)
    turn_index: int = Field(ge=0, description="index of the user turn within the session")
    created_at: UtcTimestamp = Field(default_factory=utc_now)


class RoutingInfo(_Model):
    """The router's decision for this call."""

    tier: str
    scores: dict[str, float] = Field(description="per-tier score of the router")
    latency_ms: float = Field(ge=0)
    overridden: bool = Field(description="true when the user or a command forced the tier")


class BaseModelInfo(_Model):
    """The GGUF base model the call ran on."""

    id: str
    path: str
    sha256: str
    arch: str


class AdapterInfo(_Model):
    """The tier's LoRA adapter applied to the call."""

    tier: str
    path: str
    version: str | None = None
    sha256: str | None = None
    scale: float


class ToolCallInfo(_Model):
    """One tool call parsed from the model output."""

    id: str
    name: str
    arguments: JsonObject


class ParsedInfo(_Model):
    """The model output split into reasoning, visible content and tool calls."""

    thinking: str = ""
    content: str = ""
    tool_calls: list[ToolCallInfo] = Field(default_factory=list)
    parse_errors: list[JsonObject] = Field(default_factory=list)


class ModelCallRecord(_Record):
    """One model call: everything needed to rebuild the exact training example."""

    kind: Literal["model_call"] = "model_call"
    call_index: int = Field(ge=0, description="n-th model call within the turn")
    started_at: UtcTimestamp
    finished_at: UtcTimestamp
    tier: str
    routing: RoutingInfo | None = None
    base_model: BaseModelInfo
    adapter: AdapterInfo | None = None
    sampling: JsonObject
    messages: list[JsonObject] = Field(description="the chat messages the prompt was rendered from")
    tools: list[JsonObject] = Field(description="the tool schemas offered")
    prompt: str = Field(description="the full rendered prompt text")
    raw_output: str = Field(description="the model output verbatim, <think> included")
    parsed: ParsedInfo
    stop_reason: Literal["eos", "max_tokens", "context_full", "cancelled", "stop", "error"]
    timings: dict[str, float] = Field(description="prompt/cached/completion tokens, ttft_ms, total_ms, ...")
    error: str | None = None
    repair_of: str | None = Field(None, description="record_id of the call whose output this call repairs")
    source: Literal["log", "selfplay", "synthetic"] = Field(
        "log", description="log: real use; selfplay: the agent run over the task suite; synthetic: gold"
    )


class ToolResultRecord(_Record):
    """The result of executing one tool call."""

    kind: Literal["tool_result"] = "tool_result"
    call_record_id: str
    tool_call_id: str
    name: str
    arguments: JsonObject
    status: Literal["ok", "error", "denied", "skipped"]
    content: str
    duration_ms: float = Field(ge=0)
    error_code: str | None = Field(
        None, description="stable error code (unknown_tool, schema_violation, ...)"
    )
    tier: str | None = Field(None, description="tier that made the call")


class ApprovalRecord(_Record):
    """The user's (or a rule's) decision on one tool call."""

    kind: Literal["approval"] = "approval"
    call_record_id: str
    tool_call_id: str
    name: str
    decision: Literal["allow_once", "allow_always", "deny", "deny_feedback", "auto_allow", "auto_deny"]
    feedback: str | None = None
    rule: str | None = None


class TaskInfo(_Model):
    """The suite or generated task a self-play or reference run played, with its taxonomy coordinates."""

    id: str = Field(min_length=1, max_length=200)
    coordinates: dict[str, str] = Field(
        default_factory=dict,
        description="taxonomy axis -> value: tier, what, phrasing, path, difficulty, edge (docs/taxonomy.md)",
    )


class OutcomeRecord(_Record):
    """An outcome signal: /good, /bad, a task checker's verdict, or a cancellation."""

    kind: Literal["outcome"] = "outcome"
    signal: Literal["good", "bad", "checker", "cancelled"]
    passed: bool | None = None
    detail: str | None = None
    call_record_id: str | None = None
    task: TaskInfo | None = Field(None, description="the task a checker verdict is about (self-play runs)")

    @model_serializer(mode="wrap")
    def _omit_absent_task(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Without a task the record serializes exactly as before the field existed (the format is pinned)."""
        data = handler(self)
        if data.get("task") is None:
            data.pop("task", None)
        return data


LogRecord = Annotated[
    ModelCallRecord | ToolResultRecord | ApprovalRecord | OutcomeRecord, Field(discriminator="kind")
]
