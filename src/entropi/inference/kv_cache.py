"""KV reuse for the generation context: longest-common-prefix reuse and per-tier prefix snapshots.

Invariant: KV computed under one adapter set is never used under another. The live sequence remembers
the adapter-set key it was computed with; a different key clears it, and a tier's snapshot is restored only
under the exact key it was taken with. Prefill of a prompt is split at the tier's stable-prefix boundary
in every path (cold, warm, restored), so a restored run performs the same computation as a cold one.
Non-goals: choosing or activating adapters, sampling.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from entropi.inference.llama_model import LlamaContext


@dataclass(frozen=True)
class Snapshot:
    """The KV state of exactly ``tokens`` under adapter set ``key``."""

    key: tuple
    tokens: tuple[int, ...]
    data: bytes | bytearray


@dataclass
class PrefillStats:
    """How a prompt reached the KV cache."""

    prompt_tokens: int = 0
    cached_tokens: int = 0
    restored_tokens: int = 0
    prefilled_tokens: int = 0
    snapshot_taken: bool = False
    prefill_ms: float = 0.0


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class KVManager:
    """Owns sequence 0 of one context: what is cached, under which adapters, and per-slot snapshots."""

    def __init__(self, ctx: LlamaContext, *, snapshots: bool = True) -> None:
        self.ctx = ctx
        self.use_snapshots = snapshots
        self.tokens: list[int] = []
        self.key: tuple | None = None
        self.snapshots: dict[str, Snapshot] = {}

    def reset(self) -> None:
        self.ctx.clear()
        self.tokens = []

    def prepare(self, slot: str, key: tuple, prompt: Sequence[int], prefix_len: int) -> PrefillStats:
        """Make the cache hold ``prompt`` evaluated under adapter set ``key`` (already active on ctx).

        ``prefix_len`` is the length of the slot's stable prefix (system prompt + tools); it is
        snapshotted once per (slot, key, prefix) and restored when the slot comes back.
        """
        started = time.perf_counter()
        if not prompt:
            raise ValueError("empty prompt")
        stats = PrefillStats(prompt_tokens=len(prompt))
        prefix_len = max(0, min(prefix_len, len(prompt) - 1))
        snap = self.snapshots.get(slot) if self.use_snapshots else None
        if snap is not None and (snap.key != key or tuple(prompt[:prefix_len]) != snap.tokens):
            snap = None
        if self.key != key:
            self.reset()
            self.key = key
        n = common_prefix(self.tokens, prompt)
        if snap is not None and n < len(snap.tokens):
            self.tokens = []
            self.ctx.clear()
            try:
                self.ctx.state_set(snap.data)
            except Exception:
                self.snapshots.pop(slot, None)
                self.reset()
                raise
            self.tokens = list(snap.tokens)
            stats.restored_tokens = len(snap.tokens)
            n = len(snap.tokens)
        n = min(n, len(prompt) - 1)  # the last prompt token is always evaluated to get fresh logits
        stats.cached_tokens = n if not stats.restored_tokens else n - stats.restored_tokens
        if n < len(self.tokens):
            try:
                self.ctx.truncate(n)
            except Exception:
                self.reset()
                raise
            del self.tokens[n:]
        if self.use_snapshots and snap is None and n < prefix_len:
            self._eval(prompt[n:prefix_len], n)
            stats.prefilled_tokens += prefix_len - n
            self.snapshots[slot] = Snapshot(key, tuple(prompt[:prefix_len]), self.ctx.state_get())
            stats.snapshot_taken = True
            n = prefix_len
        elif n < prefix_len:
            self._eval(prompt[n:prefix_len], n)
            stats.prefilled_tokens += prefix_len - n
            n = prefix_len
        self._eval(prompt[n:], n)
        stats.prefilled_tokens += len(prompt) - n
        stats.prefill_ms = (time.perf_counter() - started) * 1000
        return stats

    def _eval(self, tokens: Sequence[int], pos0: int) -> None:
        if not tokens:
            return
        try:
            self.ctx.decode(tokens, pos0)
        except Exception:
            self.reset()
            raise
        self.tokens.extend(tokens)

    def append(self, token: int) -> None:
        """Evaluate one generated token at the end of the live sequence."""
        self.ctx.decode_one(token, len(self.tokens))
        self.tokens.append(token)

    def drop_snapshots(self, slot: str | None = None) -> None:
        """Forget every snapshot, or only ``slot``'s (and its own-tools twin)."""
        if slot is None:
            self.snapshots.clear()
            return
        for name in (slot, f"{slot}#tools"):
            self.snapshots.pop(name, None)
