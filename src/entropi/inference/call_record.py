"""Turns one finished model call into a model-log record (the only place inference meets the log schema)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from entropi.inference.adapters import AdapterStatus
from entropi.inference.output_parser import ParsedOutput
from entropi.inference.router import RouteDecision
from entropi.modellog.records import (
    AdapterInfo,
    BaseModelInfo,
    ModelCallRecord,
    ParsedInfo,
    RoutingInfo,
    ToolCallInfo,
    utc_now,
)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _finite(values: Mapping[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in values.items() if math.isfinite(v)}


def build_model_call_record(
    *,
    session_id: str,
    turn_index: int,
    call_index: int,
    started_at: float,
    tier: str,
    routing: RouteDecision | None,
    base: Mapping[str, str],
    adapter: AdapterStatus,
    sampling: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
    tools: Sequence[Mapping[str, Any]],
    prompt: str,
    raw_output: str,
    parsed: ParsedOutput,
    stop_reason: str,
    timings: Mapping[str, float],
    error: str | None = None,
    repair_of: str | None = None,
    source: str = "log",
) -> ModelCallRecord:
    return ModelCallRecord(
        session_id=session_id,
        turn_index=turn_index,
        call_index=call_index,
        started_at=_iso(started_at),
        finished_at=utc_now(),
        tier=tier,
        routing=RoutingInfo(
            tier=routing.tier,
            scores=_finite(routing.scores),
            latency_ms=routing.latency_ms,
            overridden=routing.overridden,
        )
        if routing
        else None,
        base_model=BaseModelInfo(**base),
        adapter=AdapterInfo(
            tier=tier,
            path=str(adapter.path),
            version=adapter.version,
            scale=adapter.scale,
            sha256=(adapter.manifest.get("sha256") or None) if adapter.manifest else None,
        )
        if adapter.loaded
        else None,
        sampling=dict(sampling),
        messages=[dict(m) for m in messages],
        tools=[dict(t) for t in tools],
        prompt=prompt,
        raw_output=raw_output,
        parsed=ParsedInfo(
            thinking=parsed.thinking,
            content=parsed.content,
            tool_calls=[ToolCallInfo(id=c.id, name=c.name, arguments=c.arguments) for c in parsed.tool_calls],
            parse_errors=[{"kind": i.kind, "detail": i.detail, "raw": i.raw} for i in parsed.issues],
        ),
        stop_reason=stop_reason,
        timings=_finite(timings),
        error=error,
        repair_of=repair_of,
        source=source,
    )
