"""Held-out honesty: generated prompts never equal or nearly equal a held-out prompt, and generated repos
avoid held-out file names.

Held out: the evaluation golden sets (`src/entropi/evaluation/data/*.jsonl`, field `input`, also `prompt`)
and the hand-written task suite (`src/entropi/tasks/data/*.yaml`). A prompt is too close when its normalized
text (case-folded, punctuation to spaces) equals a held-out one or the token Jaccard similarity of the two
reaches `threshold` (0.7). Reserved file names are the held-out tasks' file base names, except a few every
project has (`COMMON_FILES`).
Non-goals: deciding what the evaluation sets hold (their owners do), deduplicating generated prompts
against each other beyond exact normalized equality (`generate.py`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import entropi
from entropi.tasks import load_tasks, tasks_dir

COMMON_FILES = frozenset({"README.md", "__init__.py", "pyproject.toml", ".gitignore"})
THRESHOLD = 0.7
_NON_WORD = re.compile(r"[^0-9a-z_]+")


def normalize(text: str) -> str:
    """Case-folded words (letters, digits, `_`) joined by single spaces."""
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def tokens(text: str) -> frozenset[str]:
    return frozenset(normalize(text).split())


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def eval_data_dir() -> Path:
    """Where the evaluation golden sets live."""
    return Path(entropi.__file__).parent / "evaluation" / "data"


@dataclass
class Exclusion:
    """Held-out prompts (indexed by token) and reserved file names."""

    threshold: float = THRESHOLD
    file_names: set[str] = field(default_factory=set)
    prompts: list[str] = field(default_factory=list)
    _normalized: set[str] = field(default_factory=set)
    _sets: list[frozenset[str]] = field(default_factory=list)
    _index: dict[str, list[int]] = field(default_factory=dict)

    def add_prompt(self, prompt: str) -> None:
        words = tokens(prompt)
        self.prompts.append(prompt)
        self._normalized.add(normalize(prompt))
        self._sets.append(words)
        for word in words:
            self._index.setdefault(word, []).append(len(self._sets) - 1)

    def add_files(self, paths: Iterable[str]) -> None:
        self.file_names |= {p.rsplit("/", 1)[-1] for p in paths} - COMMON_FILES

    def too_close(self, prompt: str) -> str | None:
        """The held-out prompt `prompt` equals or nearly equals, or None."""
        if normalize(prompt) in self._normalized:
            return next(p for p in self.prompts if normalize(p) == normalize(prompt))
        words = tokens(prompt)
        shared = Counter(i for w in words for i in self._index.get(w, ()))
        for index, common in shared.items():
            union = len(words) + len(self._sets[index]) - common
            if union and common / union >= self.threshold:
                return self.prompts[index]
        return None


def load_exclusion(
    eval_dir: Path | None = None, suite_dir: Path | None = None, threshold: float = THRESHOLD
) -> Exclusion:
    """Every held-out prompt and file name: the task suite's and whatever evaluation sets exist."""
    out = Exclusion(threshold=threshold)
    for task in load_tasks(suite_dir if suite_dir is not None else tasks_dir()):
        out.add_prompt(task.prompt)
        out.add_files(task.files)
    folder = eval_dir if eval_dir is not None else eval_data_dir()
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        for record in _records(path):
            for text in _prompts_of(record):
                out.add_prompt(text)
            files = record.get("files")
            if isinstance(files, dict):
                out.add_files(str(k) for k in files)
    return out


def _prompts_of(record: dict) -> list[str]:
    """The record's prompt (`input` or `prompt`), else the user turns of its `messages`."""
    text = record.get("input", record.get("prompt"))
    if isinstance(text, str):
        return [text] if text.strip() else []
    messages = record.get("messages")
    if not isinstance(messages, list):
        return []
    users = [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    return [u for u in users if isinstance(u, str) and u.strip()]


def _records(path: Path) -> Iterable[dict]:
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record
