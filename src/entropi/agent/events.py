"""Events the agent emits while it works; UIs render these and never parse model output themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TurnStarted:
    turn_index: int
    user_text: str
    tier: str
    scores: dict[str, float]
    overridden: bool


@dataclass(frozen=True)
class ModelCallStarted:
    tier: str
    call_index: int
    adapter: str


@dataclass(frozen=True)
class StreamDelta:
    """A piece of streamed output; ``channel`` is "thinking", "content" or "tool_call"."""

    channel: str
    text: str


@dataclass(frozen=True)
class ModelCallFinished:
    tier: str
    call_index: int
    stop_reason: str
    timings: dict[str, float]
    record_id: str | None


@dataclass(frozen=True)
class ToolCallStarted:
    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class ToolCallFinished:
    call_id: str
    name: str
    status: str
    content: str
    duration_ms: float
    error_code: str | None = None
    decision: str | None = None


@dataclass(frozen=True)
class RepairRequested:
    reason: str
    problems: list[str]


@dataclass(frozen=True)
class TierChanged:
    tier: str
    reason: str


@dataclass(frozen=True)
class TodoUpdated:
    todos: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ContextCompacted:
    tokens_before: int
    tokens_after: int


@dataclass(frozen=True)
class TurnFinished:
    turn_index: int
    answer: str
    stop_reason: str
    tier: str
    model_calls: int
    tool_calls: int


Event = (
    TurnStarted
    | ModelCallStarted
    | StreamDelta
    | ModelCallFinished
    | ToolCallStarted
    | ToolCallFinished
    | RepairRequested
    | TierChanged
    | TodoUpdated
    | ContextCompacted
    | TurnFinished
)
