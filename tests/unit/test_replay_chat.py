"""The shipped general-chat replay file: every line loads with `entropi.data.replay`, there are enough
varied conversations, and no user turn equals or nearly equals one of the gate's held-out chat prompts (or
any other held-out prompt)."""

from __future__ import annotations

from collections import Counter

from entropi.data import replay
from entropi.evaluation.cases import load_general_chat
from entropi.synth.exclusion import jaccard, load_exclusion, normalize, tokens
from entropi.training.data import replay_chat_path

NEAR = 0.6  # stricter than the generator's 0.7


def _rows() -> list[list[dict]]:
    skipped: Counter[str] = Counter()
    rows = [messages for _, messages in replay.iter_replay(replay_chat_path(), skipped)]
    assert skipped == Counter()
    return rows


def _users(rows: list[list[dict]]) -> list[str]:
    return [m["content"] for messages in rows for m in messages if m["role"] == "user"]


def test_the_file_ships_and_loads_without_bad_lines() -> None:
    path = replay_chat_path()
    assert path.is_file()
    rows = _rows()
    assert len(rows) >= 120
    assert sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()) == len(rows)
    assert any(len(messages) == 4 for messages in rows)  # some two-turn conversations
    for messages in rows:
        assert [m["role"] for m in messages] == ["user", "assistant"] * (len(messages) // 2)
        assert all(m["content"].strip() for m in messages)
        assert all(len(m["content"]) <= 300 for m in messages if m["role"] == "assistant")  # short replies
    assert replay.sample(path, 10, 3, Counter()) == replay.sample(path, 10, 3, Counter())


def test_user_turns_are_distinct() -> None:
    users = _users(_rows())
    assert len({normalize(u) for u in users}) == len(users)


def test_no_overlap_with_the_gates_chat_set() -> None:
    held = [m["content"] for chat in load_general_chat() for m in chat if m["role"] == "user"]
    assert len(held) >= 40
    held_norm = {normalize(h) for h in held}
    held_sets = [tokens(h) for h in held]
    for user in _users(_rows()):
        assert normalize(user) not in held_norm, user
        words = tokens(user)
        close = [h for h, s in zip(held, held_sets, strict=True) if jaccard(words, s) >= NEAR]
        assert close == [], (user, close)


def test_no_user_turn_is_close_to_any_held_out_prompt() -> None:
    held_out = load_exclusion(threshold=NEAR)
    close = [(u, held_out.too_close(u)) for u in _users(_rows()) if held_out.too_close(u)]
    assert close == []
