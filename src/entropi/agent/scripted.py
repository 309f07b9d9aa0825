"""A model client that plays back canned raw outputs: fast, deterministic agent tests and soak runs.

It renders nothing and loads no weights, but it parses with the real parser and writes real model-log
records, so everything downstream of the model is the production code path.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from entropi.config import TIERS
from entropi.config.schema import EntropiConfig, known_tools
from entropi.inference.adapters import AdapterStatus
from entropi.inference.call_record import build_model_call_record
from entropi.inference.output_parser import parse_output
from entropi.inference.router import RouteDecision
from entropi.inference.runtime import TurnResult
from entropi.modellog import ModelLog

Script = Callable[[str, Sequence[Mapping[str, Any]]], str]


class ScriptExhausted(RuntimeError):
    """The scripted model was asked for more outputs than it was given."""


class ScriptedModel:
    """``outputs``: raw outputs in order, or a function (tier, messages) → raw output."""

    def __init__(
        self,
        outputs: Iterable[str] | Script,
        *,
        config: EntropiConfig,
        tier: str = "code",
        log_path: Path | None = None,
        n_ctx: int = 8192,
        chunk: int = 7,
        keep_calls: bool = True,
    ) -> None:
        self._script: Script
        if callable(outputs):
            self._script = outputs
        else:
            queue = list(outputs)

            def play(_tier: str, _messages: Sequence[Mapping[str, Any]]) -> str:
                if not queue:
                    raise ScriptExhausted("the scripted model has no more outputs")
                return queue.pop(0)

            self._script = play
        self.config = config
        self.tier = tier
        self.session_id = uuid.uuid4().hex[:16]
        self.log = ModelLog(log_path or Path("/dev/null"), enabled=log_path is not None)
        self._n_ctx = n_ctx
        self._chunk = chunk
        self._schemas = known_tools()
        self.source = "log"
        self._prompts = {
            t: c.system_prompt.read_text(encoding="utf-8").strip() for t, c in config.tiers.items()
        }
        self.calls: list[dict[str, Any]] = []
        self.keep_calls = keep_calls
        self.max_prompt_tokens = 0
        self.variants: dict[str, Path | None] = {}  # evaluation slots → adapter (recorded, not applied)
        self.current_slot: str | None = None  # the slot of the call in progress (scripts may look)

    @property
    def n_ctx(self) -> int:
        return self._n_ctx

    def route(
        self, text: str | bytes, *, override: str | None = None, router: str | None = None
    ) -> RouteDecision:
        if override is not None and override not in TIERS:
            raise ValueError(f"unknown tier {override!r}")
        tier = override or self.tier
        return RouteDecision(
            tier=tier, scores={t: float(t == tier) for t in TIERS}, overridden=bool(override)
        )

    def allowed_tools(self, tier: str) -> list[str]:
        return list(self.config.tiers[tier].tools)

    def tier_tools(self, tier: str) -> list[dict[str, Any]]:
        return [self._schemas[n] for n in self.allowed_tools(tier)]

    def add_variant(self, tier: str, label: str, adapter: Path | None, scale: float = 1.0) -> str:
        slot = f"{tier}@{label}"
        self.variants[slot] = adapter
        return slot

    def add_router_variant(self, label: str, adapter: Path | None, scale: float = 1.0) -> None:
        self.variants[f"router@{label}"] = adapter

    def adapter_label(self, tier: str) -> str:
        return "scripted"

    def count_tokens(self, tier: str, messages: Sequence[Mapping[str, Any]]) -> int:
        """About four characters a token, plus a fixed cost per message and for the tier prefix."""
        text = sum(len(str(m.get("content", ""))) + len(str(m.get("tool_calls", ""))) for m in messages)
        return 200 + 4 * len(messages) + text // 4

    def turn(
        self,
        tier: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        routing: RouteDecision | None = None,
        turn_index: int = 0,
        call_index: int = 0,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
        repair_of: str | None = None,
        slot: str | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        sampling_overrides: Mapping[str, Any] | None = None,
    ) -> TurnResult:
        started = time.time()
        self.current_slot = slot or tier
        raw = self._script(tier, messages)
        stop = "eos"
        emitted = []
        for i in range(0, len(raw), self._chunk):
            if cancel is not None and cancel.is_set():
                stop = "cancelled"
                break
            piece = raw[i : i + self._chunk]
            emitted.append(piece)
            if on_text is not None:
                on_text(piece)
        raw = "".join(emitted)
        parsed = parse_output(raw)
        status = AdapterStatus(tier=tier, configured=None)
        timings = {
            "prompt_tokens": float(self.count_tokens(tier, messages)),
            "completion_tokens": len(raw) / 4,
        }
        self.max_prompt_tokens = max(self.max_prompt_tokens, int(timings["prompt_tokens"]))
        if self.keep_calls:
            self.calls.append({"tier": tier, "messages": [dict(m) for m in messages], "raw": raw})
        record_id = None
        if self.log.enabled:
            tools = [self._schemas[n] for n in self.allowed_tools(tier)]
            record = build_model_call_record(
                session_id=self.session_id,
                turn_index=turn_index,
                call_index=call_index,
                started_at=started,
                tier=tier,
                routing=routing,
                base={"id": "scripted", "path": "", "sha256": "0" * 64, "arch": "scripted"},
                adapter=status,
                sampling={},
                messages=[{"role": "system", "content": self._prompts[tier]}, *messages],
                tools=tools,
                prompt="",
                raw_output=raw,
                parsed=parsed,
                stop_reason=stop,
                timings=timings,
                repair_of=repair_of,
                source=self.source,
            )
            self.log.append(record)
            record_id = record.record_id
        return TurnResult(
            tier=tier,
            raw_output=raw,
            parsed=parsed,
            stop_reason=stop,
            adapter=status,
            routing=routing,
            record_id=record_id,
            timings=timings,
        )
