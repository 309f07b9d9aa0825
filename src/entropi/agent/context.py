"""The conversation and how it is fitted into the context window.

Deterministic by design (the same history always yields the same prompt), so KV reuse keeps working:
old tool results are shortened, and past ``compact_at`` × n_ctx older assistant/tool traffic is replaced by
one
summary of tools used and files touched, keeping the task, every user message and the recent turns. The todo
list is one anchored message at the very end, so the prefix before it stays byte-stable.
Non-goals: token counting itself (the model client renders and tokenizes), summarising with the model.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from entropi.config.schema import ContextConfig

PRUNE_KEEP_CHARS = 300
_PATH_KEYS = ("path", "pattern", "paths")


class ContextOverflowError(RuntimeError):
    """The conversation cannot be made to fit the context window."""


@dataclass
class Entry:
    """One message plus what the context manager needs to know about it."""

    message: dict[str, Any]
    turn: int
    kind: str  # user | assistant | tool | repair | summary


@dataclass
class Conversation:
    entries: list[Entry] = field(default_factory=list)

    def add(self, message: dict[str, Any], turn: int, kind: str) -> None:
        self.entries.append(Entry(dict(message), turn, kind))

    def messages(self) -> list[dict[str, Any]]:
        return [e.message for e in self.entries]


@dataclass(frozen=True)
class BuiltContext:
    messages: list[dict[str, Any]]
    tokens: int
    compacted: bool
    tokens_before: int


def _shorten(text: str, keep: int) -> str:
    if len(text) <= keep:
        return text
    return f"{text[:keep]}\n[… {len(text) - keep} characters pruned from an older tool result]"


def _summary(entries: list[Entry], requests: list[str]) -> str:
    tools: Counter[str] = Counter()
    files: list[str] = []
    for e in entries:
        for call in e.message.get("tool_calls") or []:
            fn = call.get("function", {})
            tools[fn.get("name", "?")] += 1
            args = fn.get("arguments") or {}
            if isinstance(args, str):
                try:
                    args = json.loads(args)
                except ValueError:
                    args = {}
            for key in _PATH_KEYS:
                value = args.get(key) if isinstance(args, dict) else None
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, str) and v and v not in files:
                        files.append(v)
    used = ", ".join(f"{name}×{n}" for name, n in sorted(tools.items())) or "none"
    touched = ", ".join(files[:30]) or "none"
    asked = ""
    if requests:
        shown = [r if len(r) <= 80 else r[:77] + "..." for r in requests[-8:]]
        more = f" (+{len(requests) - len(shown)} earlier)" if len(requests) > len(shown) else ""
        asked = " Earlier requests" + more + ": " + " | ".join(shown) + "."
    return (
        f"[entropi] Earlier work in this conversation was compacted. Tools used: {used}. "
        f"Files touched: {touched}.{asked}"
    )


class ContextManager:
    """Fits a conversation into ``n_ctx`` tokens; ``count(tier, messages)`` counts the full prompt."""

    def __init__(
        self, config: ContextConfig, n_ctx: int, count: Callable[[str, list[dict[str, Any]]], int]
    ) -> None:
        self.config = config
        self.n_ctx = n_ctx
        self.count = count

    @property
    def budget(self) -> int:
        return self.n_ctx - self.config.reserve_tokens

    def prune(self, conv: Conversation, current_turn: int) -> None:
        """Shorten tool results older than ``prune_tool_results_after`` user turns (in place)."""
        limit = current_turn - self.config.prune_tool_results_after
        for e in conv.entries:
            if e.kind == "tool" and e.turn < limit:
                e.message["content"] = _shorten(str(e.message.get("content", "")), PRUNE_KEEP_CHARS)

    def compact(self, conv: Conversation, current_turn: int) -> bool:
        """Replace older assistant/tool traffic with one summary; True if anything changed."""
        keep_from = current_turn - self.config.keep_recent_turns + 1
        users = [e for e in conv.entries if e.kind == "user"]
        task = users[0] if users else None
        old = [
            e
            for e in conv.entries
            if e.turn < keep_from
            and e is not task
            and e.kind in ("assistant", "tool", "repair", "user", "summary")
        ]
        if not [e for e in old if e.kind != "summary"]:
            return False
        previous = [e for e in old if e.kind == "summary"]
        requests = [str(e.message.get("content", "")) for e in old if e.kind == "user"]
        if previous:  # fold the earlier summary's requests in, so nothing is lost twice over
            requests = [str(previous[0].message.get("content", ""))[:200], *requests]
        kept = [e for e in conv.entries if e not in old]
        summary = Entry({"role": "user", "content": _summary(old, requests)}, old[0].turn, "summary")
        first_user = next((i for i, e in enumerate(kept) if e.kind == "user"), -1)
        kept.insert(first_user + 1, summary)
        conv.entries[:] = kept
        return True

    def build(
        self, conv: Conversation, current_turn: int, tier: str, anchor: str | None = None
    ) -> BuiltContext:
        """Prune, compact if needed, add the anchor; raises ContextOverflowError if it still does not fit."""
        self.prune(conv, current_turn)

        def with_anchor() -> list[dict[str, Any]]:
            msgs = conv.messages()
            return [*msgs, {"role": "user", "content": anchor}] if anchor else msgs

        messages = with_anchor()
        tokens = before = self.count(tier, messages)
        compacted = False
        if tokens > self.config.compact_at * self.n_ctx and self.compact(conv, current_turn):
            messages = with_anchor()
            tokens = self.count(tier, messages)
            compacted = True
        if tokens > self.budget:
            for e in sorted(
                (e for e in conv.entries if e.kind in ("tool", "assistant", "repair")),
                key=lambda e: -len(str(e.message.get("content", ""))),
            ):
                e.message["content"] = _shorten(str(e.message.get("content", "")), PRUNE_KEEP_CHARS)
                messages = with_anchor()
                tokens = self.count(tier, messages)
                compacted = True
                if tokens <= self.budget:
                    break
        if tokens > self.budget:
            raise ContextOverflowError(
                f"the conversation needs {tokens} tokens but only {self.budget} fit "
                f"(n_ctx {self.n_ctx} minus "
                f"{self.config.reserve_tokens} reserved); start a new session or raise model.n_ctx"
            )
        return BuiltContext(messages, tokens, compacted, before)
