"""The replay mix: general chat rows added to each tier's SFT train split, so tuning keeps general skills.

Input: a JSON Lines file, one TRL conversational row per line (`{"messages": [{"role", "content"}, ...]}`,
roles system/user/assistant/tool, at least one assistant message). Bad lines are counted by reason and
skipped. `sample` draws k rows uniformly with a seeded reservoir (one pass, k rows in memory).
Non-goals: fetching public datasets, tool-calling replay rows (their `tools` is empty).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROLES = ("system", "user", "assistant", "tool")


class ReplayError(ValueError):
    """The replay file cannot be used at all (missing, unreadable)."""


def replay_count(train_rows: int, fraction: float) -> int:
    """Replay rows to add so they make up `fraction` of the final train split."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"replay fraction must be within [0, 1), got {fraction}")
    return round(train_rows * fraction / (1.0 - fraction))


def _messages(line: str) -> list[dict[str, Any]]:
    """The row's messages in TRL shape; raises ValueError naming what is wrong."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        raise ValueError("not_json") from None
    messages = row.get("messages") if isinstance(row, dict) else None
    if not isinstance(messages, list) or not messages:
        raise ValueError("no_messages")
    out = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise ValueError("bad_role")
        content = message.get("content")
        if content is None:
            content = ""
        if not isinstance(content, str):
            raise ValueError("content_not_text")
        out.append({"role": message["role"], "content": content})
    if not any(m["role"] == "assistant" for m in out):
        raise ValueError("no_assistant_message")
    return out


def iter_replay(path: Path, skipped: Counter[str]) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(line number, messages) of each usable line; `skipped` counts the rest by reason."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ReplayError(f"cannot read replay file {path}: {exc.strerror or exc}") from exc
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                yield number, _messages(raw.decode("utf-8"))
            except UnicodeDecodeError:
                skipped["not_utf8"] += 1
            except ValueError as exc:
                skipped[str(exc)] += 1


def sample(path: Path, k: int, seed: int, skipped: Counter[str]) -> list[tuple[int, list[dict[str, Any]]]]:
    """k usable rows (fewer if the file has fewer), uniformly at random, deterministic in `seed`."""
    rng = random.Random(seed)
    chosen: list[tuple[int, list[dict[str, Any]]]] = []
    for seen, item in enumerate(iter_replay(path, skipped)):
        if len(chosen) < k:
            chosen.append(item)
        elif (j := rng.randrange(seen + 1)) < k:
            chosen[j] = item
    return sorted(chosen)


def replay_row(tier: str, number: int, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """A replay line as an SFT row of `tier` (metadata says `source: replay`)."""
    return {
        "messages": messages,
        "tools": [],
        "tier": tier,
        "session_id": f"replay:{number}",
        "turn_index": 0,
        "source": "replay",
        "task_id": None,
        "record_ids": [],
        "truncated": False,
        "quality": {
            "valid": None,
            "coherent": None,
            "executed_ok": None,
            "approved": None,
            "unclear_turns": None,
            "outcome": None,
            "checker_passed": None,
        },
    }
