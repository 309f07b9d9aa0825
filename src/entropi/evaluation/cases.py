"""Eval cases: the `EvalCase` model, JSONL case files, the shipped golden sets, the task suite as cases.

A case is one prompt (`input`) or conversation (`messages`) run on a `tier` with that tier's tools (or its own
`tools`), plus what a right answer does: call `expected_tool` first (with `expected_args` / `accepted_args`),
call nothing (`expected_no_tool`), avoid `forbidden_tools`, mention `expected_substr`. A case with
`expected_tier` also scores the router; a case with only `expected_tier` is a router case. A case with `task`
runs a task-suite task end to end. Golden sets ship in `evaluation/data/` (`<tier>.jsonl`, `router.jsonl`);
`general_chat.jsonl` beside them holds plain conversations for the general-chat loss, not cases.
Non-goals: running cases (`runner.py`), scoring them (`metrics.py`), BFCL's file format (`bfcl.py`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from entropi.config.schema import TIERS, known_tools

CASE_FILES = ("thinking.jsonl", "normal.jsonl", "code.jsonl", "simple.jsonl", "router.jsonl")
"""The shipped golden case files, in load order."""
GENERAL_CHAT_FILE = "general_chat.jsonl"
"""Shipped general-chat conversations (TRL `{"messages": [...]}` rows), used by the gate's chat loss."""
CASE_ROLES = ("user", "assistant", "tool")
Source = Literal["golden", "bfcl", "tasks", "generated"]


class CaseError(ValueError):
    """A case file that cannot be loaded; the message names the file, the line and the field."""


class EvalCase(BaseModel):
    """One evaluation case; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$", description="Unique across all loaded files.")
    tier: str | None = Field(None, description="Tier the case runs on.")
    expected_tier: str | None = Field(None, description="Router label (scores the router).")
    input: str | None = Field(None, min_length=1, description="A single user message ...")
    messages: list[dict[str, Any]] | None = Field(None, description="... or a conversation.")
    tools: list[dict[str, Any]] | None = Field(None, description="None: the tier's tools.")
    expected_tool: str | None = Field(None, min_length=1, description="Name the first call must have.")
    expected_args: dict[str, Any] = Field(default_factory=dict, description="Subset match on the first call.")
    accepted_args: dict[str, list[Any]] = Field(
        default_factory=dict, description='Per argument, the accepted values; "" = may be omitted (BFCL).'
    )
    expected_no_tool: bool = Field(False, description="The right answer makes no call at all.")
    forbidden_tools: list[str] = Field(default_factory=list, description="No call may use these.")
    expected_substr: list[str] = Field(default_factory=list, description="Each occurs in the content.")
    task: str | None = Field(None, description="Task-suite task id: run end to end, scored by its checker.")
    tags: list[str] = Field(default_factory=list)
    source: Source = "golden"

    @field_validator("tier", "expected_tier")
    @classmethod
    def _known_tier(cls, value: str | None) -> str | None:
        if value is not None and value not in TIERS:
            raise ValueError(f"unknown tier {value!r}; tiers are {', '.join(TIERS)}")
        return value

    @field_validator("expected_substr", mode="before")
    @classmethod
    def _wrap_string(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("messages")
    @classmethod
    def _valid_conversation(cls, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("a conversation needs at least one message")
        for index, message in enumerate(value):
            _check_message(message, index)
        if value[-1]["role"] not in ("user", "tool"):
            raise ValueError(f"the last message must be from user or tool, not {value[-1]['role']!r}")
        return value

    @field_validator("tools")
    @classmethod
    def _valid_tools(cls, value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("an empty tool list; leave tools out to use the tier's tools")
        names = []
        for index, tool in enumerate(value):
            name = tool.get("name")
            if not isinstance(name, str) or not name:
                raise ValueError(f"[{index}]: a tool needs a non-empty name")
            if not isinstance(tool.get("parameters"), dict):
                raise ValueError(f"[{index}] ({name}): parameters must be a JSON schema object")
            if not isinstance(tool.get("description", ""), str):
                raise ValueError(f"[{index}] ({name}): description must be a string")
            names.append(name)
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate tool names in {names}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EvalCase:
        if self.tier is None and self.expected_tier is None:
            raise ValueError("tier: a case needs tier or expected_tier")
        if self.task is not None and self.tier is None:
            raise ValueError("tier: a task case needs the tier it runs on")
        if (self.input is None) == (self.messages is None):
            raise ValueError("input: a case needs exactly one of input or messages")
        if self.expected_tool is not None and self.expected_no_tool:
            raise ValueError("expected_tool: expected_tool and expected_no_tool exclude each other")
        if self.expected_tool is not None and self.expected_tool in self.forbidden_tools:
            raise ValueError(f"expected_tool: {self.expected_tool!r} is also in forbidden_tools")
        if (self.expected_args or self.accepted_args) and self.expected_tool is None:
            raise ValueError("expected_args: argument checks need expected_tool")
        if self.tier is None and (self.expected_tool or self.expected_no_tool or self.forbidden_tools):
            raise ValueError("tier: tool expectations need the tier the case runs on")
        offered = {t["name"] for t in self.tools} if self.tools is not None else set(known_tools())
        where = "the case's tools" if self.tools is not None else "the known tools"
        if self.expected_tool is not None and self.expected_tool not in offered:
            raise ValueError(f"expected_tool: {self.expected_tool!r} is not among {where}")
        if unknown := [name for name in self.forbidden_tools if name not in offered]:
            raise ValueError(f"forbidden_tools: {', '.join(map(repr, unknown))} not among {where}")
        return self

    @property
    def kind(self) -> Literal["model", "router", "task"]:
        """`task` (end to end), `model` (one model turn on `tier`) or `router` (routing only)."""
        if self.task:
            return "task"
        return "model" if self.tier and (self.input or self.messages) else "router"

    def conversation(self) -> list[dict[str, Any]]:
        """The messages to send (a copy): `messages`, or `input` as one user message."""
        if self.messages is not None:
            return copy.deepcopy(self.messages)
        return [{"role": "user", "content": self.input}]

    def text(self) -> str:
        """The prompt text: `input`, or the content of the conversation's last user message."""
        if self.input is not None:
            return self.input
        users = [m.get("content") or "" for m in self.messages or [] if m["role"] == "user"]
        return users[-1] if users else ""

    def matches_tier(self, tier: str) -> bool:
        """Runs on `tier`, or is a router-only case labelled `tier`."""
        return self.tier == tier or (self.tier is None and self.expected_tier == tier)


def _check_message(message: Any, index: int) -> None:
    """A chat message in the agent's shape (OpenAI-style `tool_calls`, tool results with `content`)."""
    if not isinstance(message, dict):
        raise ValueError(f"[{index}]: a message must be an object")
    role = message.get("role")
    if role not in CASE_ROLES:
        raise ValueError(f"[{index}].role is {role!r}; expected one of {', '.join(CASE_ROLES)}")
    content = message.get("content")
    calls = message.get("tool_calls") if role == "assistant" else None
    if not (isinstance(content, str) or (content is None and calls)):
        raise ValueError(f"[{index}].content must be a string")
    if role != "assistant" and "tool_calls" in message:
        raise ValueError(f"[{index}]: only assistant messages have tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            raise ValueError(f"[{index}].tool_calls must be a list")
        for j, call in enumerate(calls):
            function = call.get("function") if isinstance(call, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise ValueError(f"[{index}].tool_calls[{j}] needs function.name")
            if not isinstance(function.get("arguments", {}), dict | str):
                raise ValueError(f"[{index}].tool_calls[{j}].function.arguments must be an object")


def describe_error(exc: ValidationError) -> str:
    """One line per problem: `field: message` (model-level messages name their field themselves)."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _read_lines(path: Path, noun: str) -> list[tuple[int, dict[str, Any]]]:
    """The JSON objects of a JSONL file with their line numbers; blank and `//` lines skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"{path}: cannot read {noun} file ({exc})") from exc
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("//"):
            continue
        try:
            raw = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise CaseError(f"{path}:{number}: invalid JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(raw, dict):
            raise CaseError(f"{path}:{number}: a {noun} must be a JSON object, not {type(raw).__name__}")
        rows.append((number, raw))
    return rows


def load_cases(paths: Sequence[Path]) -> list[EvalCase]:
    """Every case of the JSONL files `paths`, in order; `CaseError` (file:line: field: problem) on a bad line
    or an id used twice."""
    cases: list[EvalCase] = []
    seen: dict[str, str] = {}
    for path in paths:
        for number, raw in _read_lines(Path(path), "case"):
            label = f"{path}:{number}"
            try:
                case = EvalCase.model_validate(raw)
            except ValidationError as exc:
                case_id = f" (case {raw['id']!r})" if isinstance(raw.get("id"), str) else ""
                raise CaseError(f"{label}{case_id}: {describe_error(exc)}") from None
            if case.id in seen:
                raise CaseError(f"{label}: id: duplicate id {case.id!r} (first at {seen[case.id]})")
            seen[case.id] = label
            cases.append(case)
    return cases


def data_dir() -> Path:
    """The shipped golden data files."""
    return Path(str(resources.files("entropi.evaluation").joinpath("data")))


def builtin_cases(tier: str | None = None) -> list[EvalCase]:
    """The shipped golden cases (tier files, then router cases); with `tier`, those that match it."""
    cases = load_cases([data_dir() / name for name in CASE_FILES])
    return [case for case in cases if tier is None or case.matches_tier(tier)]


def task_cases(tier: str | None = None, *, directory: Path | None = None) -> list[EvalCase]:
    """Every task of the suite (`entropi.tasks.load_tasks(directory)`) as an end-to-end case."""
    from entropi.tasks import load_tasks  # the task suite pulls in the tool registry; load it on demand

    cases = []
    for task in load_tasks(directory):
        if tier is not None and task.tier != tier:
            continue
        no_tool = task.expected_first_tool is None
        cases.append(
            EvalCase(
                id=f"task:{task.id}",
                tier=task.tier,
                task=task.id,
                input=task.prompt,
                expected_tool=task.expected_first_tool,
                expected_no_tool=no_tool,
                tags=["task", task.tags.kind, task.tags.difficulty] + (["no_tool"] if no_tool else []),
                source="tasks",
            )
        )
    return cases


def load_general_chat(path: Path | None = None) -> list[list[dict[str, str]]]:
    """The conversations of a TRL-format chat file (default: the shipped `general_chat.jsonl`): user and
    assistant turns alternating, starting with user, ending with assistant."""
    path = path if path is not None else data_dir() / GENERAL_CHAT_FILE
    conversations = []
    for number, raw in _read_lines(path, "conversation"):
        messages = raw.get("messages")
        if set(raw) != {"messages"} or not isinstance(messages, list) or len(messages) < 2:
            raise CaseError(f"{path}:{number}: messages: needs exactly a messages list of 2 or more turns")
        for index, message in enumerate(messages):
            role = "user" if index % 2 == 0 else "assistant"
            if not isinstance(message, dict) or set(message) != {"role", "content"}:
                raise CaseError(f"{path}:{number}: messages[{index}]: needs exactly role and content")
            if message["role"] != role or not isinstance(message["content"], str) or not message["content"]:
                raise CaseError(f"{path}:{number}: messages[{index}]: expected a non-empty {role} turn")
        if len(messages) % 2:
            raise CaseError(f"{path}:{number}: messages: the last turn must be the assistant's")
        conversations.append(messages)
    return conversations
