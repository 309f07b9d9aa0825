"""Token generation: llama.cpp's C sampler chain, UTF-8-safe streamed pieces, cancellation.

Per token the Python side does one sample call, one decode call and a cached piece lookup — no logits
copies — so generation stays close to a bare ``llama_decode`` loop. Non-goals: prompt prefill and KV reuse
(``kv_cache.py``), parsing the output (``output_parser.py``).
"""

from __future__ import annotations

import codecs
import ctypes
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import llama_cpp as L

from entropi.inference.kv_cache import KVManager


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings (mirrors the tier config's ``sampling`` section)."""

    temperature: float = 0.6
    top_p: float = 0.95
    top_k: int = 20
    min_p: float = 0.0
    repeat_penalty: float = 1.0
    max_tokens: int = 1024
    seed: int | None = None


class Sampler:
    """A llama.cpp sampler chain built from ``SamplingParams``; temperature 0 is greedy."""

    def __init__(
        self,
        params: SamplingParams,
        *,
        n_vocab: int,
        vocab: object = None,
        grammar: str | None = None,
        lazy_trigger: str | None = None,
    ) -> None:
        self.params = params
        self.handle = L.llama_sampler_chain_init(L.llama_sampler_chain_default_params())
        add = lambda s: L.llama_sampler_chain_add(self.handle, s)  # noqa: E731
        if grammar is not None:
            add(_grammar_sampler(vocab, grammar, lazy_trigger))
        if params.repeat_penalty != 1.0:
            add(L.llama_sampler_init_penalties(n_vocab, 64, params.repeat_penalty, 0.0, 0.0))
        if params.temperature <= 0:
            add(L.llama_sampler_init_greedy())
            return
        if params.top_k > 0:
            add(L.llama_sampler_init_top_k(params.top_k))
        if params.top_p < 1.0:
            add(L.llama_sampler_init_top_p(params.top_p, 1))
        if params.min_p > 0:
            add(L.llama_sampler_init_min_p(params.min_p, 1))
        add(L.llama_sampler_init_temp(params.temperature))
        seed = params.seed if params.seed is not None else random.randrange(2**31)
        add(L.llama_sampler_init_dist(seed))

    def sample(self, ctx_handle: object) -> int:
        return L.llama_sampler_sample(self.handle, ctx_handle, -1)

    def close(self) -> None:
        if self.handle:
            L.llama_sampler_free(self.handle)
            self.handle = None


class GrammarError(ValueError):
    """llama.cpp rejected a grammar."""


def _grammar_sampler(vocab: object, grammar: str, lazy_trigger: str | None) -> object:
    """Grammar first in the chain: it filters the whole vocabulary, so every sampled token keeps it valid."""
    if lazy_trigger is None:
        smpl = L.llama_sampler_init_grammar(vocab, grammar.encode(), b"root")
    else:
        patterns = (ctypes.c_char_p * 1)(lazy_trigger.encode())
        smpl = L.llama_sampler_init_grammar_lazy_patterns(
            vocab, grammar.encode(), b"root", patterns, 1, None, 0
        )
    if not smpl:
        raise GrammarError("llama.cpp could not parse the tool-call grammar")
    return smpl


@dataclass
class GenerationStats:
    """Filled in while generating; final once the iterator is exhausted."""

    completion_tokens: int = 0
    stop_reason: str = "eos"
    ttft_ms: float = 0.0
    decode_ms: float = 0.0
    tokens: list[int] = field(default_factory=list)

    @property
    def decode_tok_s(self) -> float:
        n = self.completion_tokens - 1
        return n / (self.decode_ms / 1000) if n > 0 and self.decode_ms > 0 else 0.0


def generate(
    kv: KVManager,
    sampler: Sampler,
    *,
    max_tokens: int,
    stats: GenerationStats,
    cancel: threading.Event | None = None,
    started: float | None = None,
) -> Iterator[str]:
    """Yield text pieces after ``kv.prepare`` has evaluated the prompt; fills ``stats`` as it goes.

    Stops at an end-of-generation token, after ``max_tokens``, when ``cancel`` is set, or when the
    context is full. ``started`` (perf_counter) is the turn start used for time-to-first-token.
    """
    model = kv.ctx.model
    ctx_handle = kv.ctx.handle
    n_ctx = kv.ctx.n_ctx
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    t0 = started if started is not None else time.perf_counter()
    first_at = 0.0
    stats.stop_reason = "max_tokens"
    for i in range(max_tokens):
        if cancel is not None and cancel.is_set():
            stats.stop_reason = "cancelled"
            break
        token = sampler.sample(ctx_handle)
        if i == 0:
            first_at = time.perf_counter()
            stats.ttft_ms = (first_at - t0) * 1000
        if model.is_eog(token):
            stats.stop_reason = "eos"
            break
        stats.tokens.append(token)
        stats.completion_tokens += 1
        text = decoder.decode(model.token_bytes(token))
        if text:
            yield text
        if len(kv.tokens) + 1 >= n_ctx:
            stats.stop_reason = "context_full"
            break
        kv.append(token)
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail
    if first_at:
        stats.decode_ms = (time.perf_counter() - first_at) * 1000
