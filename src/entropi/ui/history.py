"""Prompt input history: step to older / newer entries, kept per project in one JSON-lines file.

Each line is one JSON string. Lines that are not JSON strings are skipped and reported in ``problems``;
a file that cannot be read or written leaves the history in memory only and says why in ``problems``.
Non-goals: search, sharing history between projects.
"""

from __future__ import annotations

import json
from pathlib import Path

HISTORY_FILE = Path(".entropi") / "tui_history.jsonl"
MAX_ENTRIES = 500


class InputHistory:
    """Entries oldest first; ``older`` / ``newer`` move a cursor that ``add`` resets."""

    def __init__(self, path: Path | None, *, limit: int = MAX_ENTRIES) -> None:
        if limit < 1:
            raise ValueError(f"history limit must be at least 1, got {limit}")
        self.path = path
        self.limit = limit
        self.problems: list[str] = []
        self.entries: list[str] = self._load() if path is not None else []
        self._cursor = len(self.entries)
        self._draft = ""

    def add(self, text: str) -> None:
        """Remember a submitted line (blank lines and repeats of the last entry are not stored)."""
        self._cursor = len(self.entries)
        if not text.strip() or (self.entries and self.entries[-1] == text):
            return
        self.entries.append(text)
        trimmed = len(self.entries) > self.limit
        del self.entries[: -self.limit]
        self._cursor = len(self.entries)
        self._save(rewrite=trimmed, line=text)

    def older(self, current: str) -> str | None:
        """The entry before the cursor, or None at the oldest; the unsent ``current`` text is kept."""
        if self._cursor == len(self.entries):
            self._draft = current
        if self._cursor == 0:
            return None
        self._cursor -= 1
        return self.entries[self._cursor]

    def newer(self) -> str | None:
        """The entry after the cursor, the unsent draft past the newest, or None when already there."""
        if self._cursor >= len(self.entries):
            return None
        self._cursor += 1
        return self._draft if self._cursor == len(self.entries) else self.entries[self._cursor]

    def _load(self) -> list[str]:
        assert self.path is not None
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(f"input history {self.path} not read: {exc}")
            self.path = None  # never overwrite a file we could not read
            return []
        entries, bad = [], 0
        for line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            if isinstance(value, str):
                entries.append(value)
            elif line.strip():
                bad += 1
        if bad:
            self.problems.append(f"input history {self.path}: skipped {bad} line(s) not JSON strings")
        return entries[-self.limit :]

    def _save(self, *, rewrite: bool, line: str) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if rewrite:
                text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in self.entries)
                self.path.write_text(text, encoding="utf-8")
            else:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        except OSError as exc:
            self.problems.append(f"input history not saved to {self.path}: {exc}")
            self.path = None
