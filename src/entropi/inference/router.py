"""The router: picks a tier for a user turn from ONE forward pass, without generating text.

A fixed few-shot prefix (``defaults/router_prompt.txt``, split at ``{request}``) is evaluated once and kept in
the router's own small context; each request only evaluates its (capped) tokens plus the short suffix,
then reads the logits of each tier label's first token and softmaxes them into scores. The router context
has its own fixed adapter set (an optional router LoRA), so it never disturbs the generation context.
A router adapter may bring its own prompt (``router_prompt.txt`` beside it, usually without few-shot
examples); `RouterPrompt` is the one owner of how a request becomes tokens, for routing and for training.
Non-goals: overriding (the caller decides), training a router adapter (``training/router_train.py``).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from entropi.inference.llama_model import ContextParams, LlamaContext, LlamaModel

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE = re.compile(r"\s+")


class RouterError(Exception):
    """The router prompt or labels are unusable."""


@dataclass(frozen=True)
class RouteDecision:
    """The tier picked for one user turn."""

    tier: str
    scores: dict[str, float] = field(default_factory=dict)
    latency_ms: float = 0.0
    overridden: bool = False
    input_tokens: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "tier": self.tier,
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "latency_ms": round(self.latency_ms, 2),
            "overridden": self.overridden,
            "input_tokens": self.input_tokens,
        }


def clean_request(text: str | bytes, max_chars: int) -> str:
    """Any input → printable single-spaced text (non-UTF-8 bytes replaced, control characters dropped)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = _CONTROL.sub(" ", text[: max_chars * 2])
    return _SPACE.sub(" ", text).strip()[:max_chars]


PROMPT_FILE = "router_prompt.txt"


class RouterPrompt:
    """A router prompt template on one model: fixed prefix, per-request tokens, suffix and label tokens."""

    def __init__(self, model: LlamaModel, template: str, tiers: Sequence[str], max_input_tokens: int) -> None:
        if template.count("{request}") != 1:
            raise RouterError("the router prompt must contain {request} exactly once")
        prefix_text, suffix_text = template.split("{request}")
        self.tiers = tuple(tiers)
        self.max_input_tokens = max_input_tokens
        self._model = model
        self.prefix = model.tokenize(prefix_text, special=False)
        self.suffix = model.tokenize(suffix_text.rstrip("\n"), special=False)
        self.label_tokens = [model.tokenize(" " + tier, special=False)[0] for tier in self.tiers]
        if len(set(self.label_tokens)) != len(self.tiers):
            raise RouterError(f"tier labels {self.tiers} do not start with distinct tokens for this model")

    @classmethod
    def from_file(
        cls, model: LlamaModel, path: Path, tiers: Sequence[str], max_input_tokens: int
    ) -> RouterPrompt:
        try:
            return cls(model, Path(path).read_text(encoding="utf-8"), tiers, max_input_tokens)
        except RouterError as exc:
            raise RouterError(f"{path}: {exc}") from exc

    def request_tokens(self, text: str | bytes) -> list[int]:
        """The capped tokens of a cleaned request (what follows the prefix, before the suffix)."""
        request = clean_request(text, self.max_input_tokens * 16)
        return self._model.tokenize(request, special=False)[: self.max_input_tokens] if request else []

    def tokens(self, text: str | bytes) -> list[int]:
        """The whole prompt for ``text``; the label is read from the logits after its last token."""
        return [*self.prefix, *self.request_tokens(text), *self.suffix]


class Router:
    """Scores tier labels for a request on a shared base model, in a context of its own."""

    def __init__(
        self,
        model: LlamaModel,
        *,
        prompt_file: Path,
        tiers: Sequence[str],
        max_input_tokens: int = 48,
        adapter: tuple[tuple, list[tuple[object, float]]] = ((), []),
        n_threads: int | None = None,
    ) -> None:
        self.prompt = RouterPrompt.from_file(model, prompt_file, tiers, max_input_tokens)
        self.model = model
        self.tiers = self.prompt.tiers
        self.max_input_tokens = max_input_tokens
        self.prefix = self.prompt.prefix
        self.suffix = self.prompt.suffix
        self.label_tokens = self.prompt.label_tokens
        n_ctx = len(self.prefix) + max_input_tokens + len(self.suffix) + 8
        n_ctx = ((n_ctx + 255) // 256) * 256
        self.ctx = LlamaContext(
            model,
            ContextParams(n_ctx=n_ctx, n_batch=n_ctx, n_threads=n_threads, n_threads_batch=n_threads),
        )
        key, handles = adapter
        self.ctx.set_adapters(key, handles)
        self.ctx.decode(self.prefix, 0)

    def route(self, text: str | bytes) -> RouteDecision:
        """Score every tier for ``text``; any input (empty, huge, binary) yields a valid decision."""
        started = time.perf_counter()
        user = self.prompt.request_tokens(text)
        tokens = user + self.suffix
        n_prefix = len(self.prefix)
        self.ctx.truncate(n_prefix)
        self.ctx.decode(tokens, n_prefix)
        logits = self.ctx.logits()
        values = [float(logits[t]) for t in self.label_tokens]
        top = max(values)
        exps = [math.exp(v - top) for v in values]
        total = sum(exps)
        scores = {tier: e / total for tier, e in zip(self.tiers, exps, strict=True)}
        best = max(scores, key=scores.__getitem__)
        latency = (time.perf_counter() - started) * 1000
        return RouteDecision(tier=best, scores=scores, latency_ms=latency, input_tokens=len(user))

    def close(self) -> None:
        self.ctx.close()
