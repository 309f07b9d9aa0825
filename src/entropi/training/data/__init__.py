"""Data files shipped with the training package.

`replay_chat.jsonl`: hand-written general chat (greetings, thanks, small talk, general questions, writing
help, programming concepts in prose, advice; some two-turn), one TRL conversational row per line in the
format of `entropi.data.replay`, for the extractor's replay mix (`--replay FILE --replay-fraction F`), so a
tier adapter keeps answering plain chat. No user turn equals or nearly equals a held-out prompt
(`tests/unit/test_replay_chat.py`).
Non-goals: reading or sampling the file (`entropi.data.replay`), the gate's own chat set
(`evaluation/data/general_chat.jsonl`).
"""

from __future__ import annotations

from pathlib import Path

REPLAY_CHAT_FILE = "replay_chat.jsonl"


def replay_chat_path() -> Path:
    """The shipped general-chat replay file."""
    return Path(__file__).parent / REPLAY_CHAT_FILE
