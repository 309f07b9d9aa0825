"""Raw model output → thinking, content, tool calls and the problems found on the way.

Scope: the hermes / Qwen3 tag syntax, `<think>…</think>` and `<tool_call>\\n{json}\\n</tool_call>`; this
module is the one owner of it, for reading (`parse_output`) and writing (`render_tool_call`).
Non-goals: checking calls against tool schemas or the tier's allowed tools, streaming (it parses a whole
text), other call syntaxes (pythonic, `[TOOL_CALLS]`).

`parse_output` never raises on a string: every malformed piece becomes a `ParseIssue` and its text stays
recoverable (in `thinking`, in an issue's `raw`, or in the call's `raw`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"

ISSUE_KINDS = frozenset(
    {
        "invalid_json",
        "missing_name",
        "bad_arguments",
        "unterminated_tool_call",
        "unterminated_think",
        "tool_call_in_think",
        "stray_close_tag",
    }
)

_TAG_RE = re.compile("<think>|</think>|<tool_call>|</tool_call>")
_STOP_RE = re.compile("<tool_call>|</tool_call>")
_STOP_IN_THINK_RE = re.compile("<tool_call>|</tool_call>|</think>")
_FENCE_RE = re.compile(r"\A```[A-Za-z]*\s*(.*?)\s*```\Z", re.DOTALL)
_MAX_TAGS_IN_JSON = 4


class _Call(NamedTuple):
    name: str
    arguments: dict[str, Any]


class _Problem(NamedTuple):
    kind: str
    detail: str


@dataclass(frozen=True)
class ToolCall:
    """One parsed call; `raw` is its whole block, tags included."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw: str


@dataclass(frozen=True)
class ParseIssue:
    """One problem; `kind` is one of `ISSUE_KINDS`, `raw` the text it concerns."""

    kind: str
    detail: str
    raw: str


@dataclass(frozen=True)
class ParsedOutput:
    """One model output, split; `content` is the text outside think and tool call blocks, trimmed."""

    thinking: str
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    think_tool_calls: list[ToolCall] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_assistant_message(self) -> dict[str, Any]:
        """The internal assistant message (arguments as dicts); calls made inside thinking are left out."""
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.thinking:
            message["reasoning_content"] = self.thinking
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.tool_calls
            ]
        return message


def render_tool_call(name: str, arguments: Mapping[str, Any]) -> str:
    """The exact call text entropi writes: compact JSON, `name` then `arguments` in their given key order."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"tool call name must be a non-empty string, got {name!r}")
    if not isinstance(arguments, Mapping):
        raise ValueError(f"tool call arguments must be a mapping, got {type(arguments).__name__}")
    try:
        body = json.dumps(
            {"name": name, "arguments": dict(arguments)}, ensure_ascii=False, separators=(",", ":")
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"tool call arguments of {name!r} are not JSON-serializable: {exc}") from exc
    return f"{CALL_OPEN}\n{body}\n{CALL_CLOSE}"


def parse_output(raw: str) -> ParsedOutput:
    """Split `raw` into thinking, content and tool calls.

    A `</think>` before any `<think>` (templates that put `<think>` in the prompt) makes the text before it
    thinking. Calls inside thinking go to `think_tool_calls` (ids `think_call_<i>`) and their text stays in
    `thinking`; calls outside get ids `call_<i>` in order of appearance.
    """
    if not isinstance(raw, str):
        raise TypeError(f"parse_output expects str, got {type(raw).__name__}")
    scan = _Scanner(raw, implicit_think=False)
    if scan.saw_leading_think_close:
        scan = _Scanner(raw, implicit_think=True)
    return scan.result()


class _Scanner:
    """One left-to-right pass over the text, collecting pieces, calls and issues."""

    def __init__(self, raw: str, *, implicit_think: bool) -> None:
        self.raw = raw
        self.content: list[str] = []
        self.thoughts: list[str] = []
        self.calls: list[ToolCall] = []
        self.think_calls: list[ToolCall] = []
        self.issues: list[ParseIssue] = []
        self.saw_leading_think_close = False
        self._scan(implicit_think)

    def result(self) -> ParsedOutput:
        thinking = "\n".join(t.strip() for t in self.thoughts if t.strip())
        return ParsedOutput(
            thinking, "".join(self.content).strip(), self.calls, self.think_calls, self.issues
        )

    def _issue(self, kind: str, detail: str, raw: str) -> None:
        self.issues.append(ParseIssue(kind, detail, raw))

    def _scan(self, in_think: bool) -> None:
        raw, pos = self.raw, 0
        think_start, think_tag_start = 0, 0
        seen_think_tag = False
        while (m := _TAG_RE.search(raw, pos)) is not None:
            tag = m.group()
            if not in_think:
                self.content.append(raw[pos : m.start()])
            if tag == CALL_OPEN:
                pos = self._call(m.start(), m.end(), in_think)
                continue
            if tag == THINK_OPEN and not in_think:
                in_think, think_start, think_tag_start = True, m.end(), m.start()
            elif tag == THINK_CLOSE and in_think:
                self.thoughts.append(raw[think_start : m.start()])
                in_think = False
            elif tag != THINK_OPEN:
                self.saw_leading_think_close |= tag == THINK_CLOSE and not seen_think_tag
                self._issue("stray_close_tag", f"{tag} without a matching opening tag", tag)
            seen_think_tag |= tag in (THINK_OPEN, THINK_CLOSE)
            pos = m.end()
        if in_think:
            self.thoughts.append(raw[think_start:])
            self._issue("unterminated_think", "<think> is never closed", raw[think_tag_start:])
        else:
            self.content.append(raw[pos:])

    def _call(self, open_start: int, body_start: int, in_think: bool) -> int:
        """Record the call block opening at `open_start`; return where scanning resumes."""
        raw, stops = self.raw, _STOP_IN_THINK_RE if in_think else _STOP_RE
        stop = stops.search(raw, body_start)
        parsed = _parse_call_body(raw[body_start : stop.start() if stop else len(raw)])
        if not isinstance(parsed, _Call) and stop is not None:
            stop, parsed = self._extend(body_start, stop, stops) or (stop, parsed)
        terminated = stop is not None and stop.group() == CALL_CLOSE
        end = len(raw) if stop is None else stop.end() if terminated else stop.start()
        block = raw[open_start:end]
        if in_think:
            self._issue("tool_call_in_think", "tool call written inside thinking; not executed", block)
        if isinstance(parsed, _Call):
            calls = self.think_calls if in_think else self.calls
            prefix = "think_call" if in_think else "call"
            calls.append(ToolCall(f"{prefix}_{len(calls)}", parsed.name, parsed.arguments, block))
        elif terminated:
            self._issue(parsed.kind, parsed.detail, block)
        else:
            self._issue("unterminated_tool_call", f"<tool_call> is never closed ({parsed.detail})", block)
        return end

    def _extend(
        self, body_start: int, stop: re.Match[str], stops: re.Pattern[str]
    ) -> tuple[re.Match[str] | None, _Call] | None:
        """For JSON whose strings contain tags (a file that mentions `</tool_call>`): the first later
        `</tool_call>` (or, past the last tag, the end of the text) up to which the block parses.
        Looks at most `_MAX_TAGS_IN_JSON` tags ahead so that parsing stays linear."""
        for _ in range(_MAX_TAGS_IN_JSON):
            later = stops.search(self.raw, stop.end())
            if later is not None and later.group() != CALL_CLOSE:
                stop = later
                continue
            parsed = _parse_call_body(self.raw[body_start : later.start() if later else len(self.raw)])
            if isinstance(parsed, _Call):
                return later, parsed
            if later is None:
                return None
            stop = later
        return None


def _parse_call_body(body: str) -> _Call | _Problem:
    text = body.strip()
    if fenced := _FENCE_RE.match(text):
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return _Problem("invalid_json", f"tool call is not valid JSON: {exc}")
    return _check_call(value)


def _check_call(value: Any) -> _Call | _Problem:
    """`{"name": str, "arguments"|"parameters": object | JSON-string object}`; a missing or null
    arguments value means no arguments."""
    if not isinstance(value, dict):
        return _Problem("invalid_json", f"tool call must be a JSON object, got {type(value).__name__}")
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        return _Problem("missing_name", f"tool call has no string 'name' (got {name!r})")
    arguments = value.get("arguments", value.get("parameters"))
    if arguments is None:
        arguments = {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except (ValueError, RecursionError):
            return _Problem("bad_arguments", f"arguments of {name!r} is a string that is not JSON")
    if not isinstance(arguments, dict):
        return _Problem(
            "bad_arguments", f"arguments of {name!r} must be a JSON object, got {type(arguments).__name__}"
        )
    return _Call(name, arguments)
