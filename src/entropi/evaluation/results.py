"""One evaluated case → one JSON result line; the runner writes them, metrics and reports read them.

This module owns the result format (`CaseResult`) and its JSONL file. Everything a metric needs is stored
here, so scores can be recomputed from a results file without the model.
Non-goals: running cases (`runner.py`), scoring (`metrics.py`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MALFORMED_ISSUES = frozenset(
    {"invalid_json", "missing_name", "bad_arguments", "unterminated_tool_call", "tool_call_in_think"}
)
"""Parse issues that mean the model tried to call a tool and failed to write a usable call."""


class CallResult(BaseModel):
    """One parsed tool call and what the agent's validator said of it (``problem`` None = valid)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    problem: str | None = None  # unknown_tool | tool_not_allowed | schema_violation
    detail: str = ""


class CaseResult(BaseModel):
    """What one configuration ("variant") did on one eval case."""

    model_config = ConfigDict(extra="forbid")

    case_id: str
    variant: str
    kind: Literal["model", "router", "task"]
    tier: str | None = None
    tool_names: list[str] = Field(default_factory=list)
    raw_output: str = ""
    thinking: str = ""
    content: str = ""
    calls: list[CallResult] = Field(default_factory=list)
    parse_issues: list[str] = Field(default_factory=list)
    routed_tier: str | None = None
    route_scores: dict[str, float] = Field(default_factory=dict)
    task_passed: bool | None = None
    task_detail: str = ""
    first_tool: str | None = None  # task cases: the first tool the agent called over the whole turn
    model_calls: int = 0
    ttft_ms: float | None = None
    decode_tok_s: float | None = None
    total_ms: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None  # the case could not be run (context overflow, crash): scored as a failure

    @property
    def malformed(self) -> int:
        """Tool-call attempts that did not parse."""
        return sum(1 for kind in self.parse_issues if kind in MALFORMED_ISSUES)

    @property
    def attempted_call(self) -> bool:
        """The output contains at least one tool call, parsed or not."""
        return bool(self.calls) or self.malformed > 0


class ResultsError(ValueError):
    """A results file that cannot be read; the message names the file and line."""


def write_results(path: Path, results: Iterable[CaseResult]) -> Path:
    """Write ``results`` as JSONL (one case per line), replacing ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for result in results:
            fh.write(result.model_dump_json() + "\n")
    tmp.replace(path)
    return path


def iter_results(path: Path) -> Iterator[CaseResult]:
    """Read a results file written by `write_results`; blank lines are skipped."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read results ({exc.strerror or exc})") from exc
    with fh:
        number = 0
        try:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield CaseResult.model_validate(json.loads(line))
                except (json.JSONDecodeError, ValidationError) as exc:
                    first = str(exc).splitlines()[0]
                    raise ResultsError(f"{path}:{number}: not a case result ({first})") from exc
        except UnicodeDecodeError as exc:
            raise ResultsError(f"{path}:{number + 1}: not UTF-8 text ({exc.reason})") from exc


def read_results(path: Path) -> list[CaseResult]:
    return list(iter_results(path))
