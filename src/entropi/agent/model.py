"""The agent's view of inference: the runtime implements it, ``ScriptedModel`` plays canned outputs.

The agent never touches llama.cpp: it routes, counts tokens and asks for one model call on a tier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from entropi.inference.router import RouteDecision
from entropi.inference.runtime import TurnResult
from entropi.modellog import ModelLog


class ModelClient(Protocol):
    session_id: str
    log: ModelLog

    @property
    def n_ctx(self) -> int: ...

    def route(self, text: str | bytes, *, override: str | None = None) -> RouteDecision: ...

    def allowed_tools(self, tier: str) -> list[str]: ...

    def adapter_label(self, tier: str) -> str: ...

    def count_tokens(self, tier: str, messages: Sequence[Mapping[str, Any]]) -> int: ...

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
    ) -> TurnResult: ...
