"""The task suite: small coding tasks, one YAML file each in `tasks/data/<id>.yaml`, validated on load.

A task names a tier, a prompt, the tool the model should call first (or none), a tiny fixture project
(`files`), optional git `setup` steps, a `gold` solution (tool calls + final answer) and a declarative
`checker` (all checks must pass). `Task.materialize` builds the throwaway repo and `Task.check` scores the
end state (both in `entropi.tasks.workspace`).
Non-goals: running the agent on a task, scoring the order of tool calls (the evaluation runner does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

import jsonschema
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from entropi.config.schema import TierName, known_tools
from entropi.tasks.taxonomy import Coordinates
from entropi.tasks.workspace import CheckResult, TaskError, check, materialize

TaskKind = Literal[
    "read", "find", "list", "git", "edit", "fix", "feature", "rename", "commit", "write",
    "plan", "investigate", "answer", "handoff",
]  # fmt: skip
Difficulty = Literal["easy", "medium", "hard"]


def _relative_path(value: str) -> str:
    """A normalized, project-relative POSIX path outside `.git/`."""
    path = PurePosixPath(value)
    if not value or not path.parts or "\x00" in value or "\\" in value:
        raise ValueError(f"invalid path {value!r}")
    if path.is_absolute() or ".." in path.parts or str(path) != value:
        raise ValueError(f"path {value!r} must be relative, normalized and stay inside the repo")
    if path.parts[0] == ".git":
        raise ValueError(f"path {value!r} is inside .git/")
    return value


RelPath = Annotated[str, AfterValidator(_relative_path)]
NonEmpty = Annotated[str, Field(min_length=1)]
Alternatives = Annotated[list[NonEmpty], Field(min_length=1)]


def _one_key(model: BaseModel) -> None:
    """Spec items are single-key mappings, e.g. `{todos_at_least: 3}`."""
    given = [name for name in type(model).model_fields if getattr(model, name) is not None]
    if len(given) != 1:
        allowed = ", ".join(type(model).model_fields)
        raise ValueError(f"needs exactly one of: {allowed} (got {', '.join(given) or 'none'})")


class FileText(BaseModel):
    """A file and a text snippet."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: RelPath
    text: NonEmpty


class Check(BaseModel):
    """One checker item; a task passes when all its checks pass."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer_contains: list[NonEmpty | Alternatives] | None = Field(
        None,
        min_length=1,
        description="Each entry (or one of its alternatives) occurs in the final answer, any case.",
    )
    file_contains: FileText | None = Field(None, description="The file exists and holds the text.")
    file_not_contains: FileText | None = Field(None, description="The file is absent or lacks the text.")
    command_succeeds: list[NonEmpty] | None = Field(
        None,
        min_length=1,
        description="argv run in the repo exits 0; a leading `python` is this interpreter.",
    )
    git_last_commit_matches: NonEmpty | None = Field(
        None, description="Regex searched in the full message of the last commit."
    )
    todos_at_least: int | None = Field(
        None, ge=1, description="The todo list holds at least this many items."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Check:
        if self.git_last_commit_matches is not None:
            try:
                re.compile(self.git_last_commit_matches)
            except re.error as exc:
                raise ValueError(f"git_last_commit_matches: invalid regex: {exc}") from exc
        _one_key(self)
        return self


class FileContent(BaseModel):
    """A file path and its full content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: RelPath
    content: str


class SetupStep(BaseModel):
    """A git-level change applied after the initial commit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    write: FileContent | None = Field(None, description="Create or overwrite a file (left uncommitted).")
    delete: RelPath | None = Field(None, description="Delete a file from the working tree.")
    stage: list[RelPath] | None = Field(None, min_length=1, description="`git add` these paths.")
    commit: NonEmpty | None = Field(None, description="Commit what is staged with this message.")

    @model_validator(mode="after")
    def _exactly_one(self) -> SetupStep:
        _one_key(self)
        return self


class GoldCall(BaseModel):
    """One tool call of the reference solution."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: NonEmpty
    arguments: dict[str, Any] = Field(default_factory=dict)


class Gold(BaseModel):
    """The reference solution: tool calls in order, then the final answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool_calls: list[GoldCall] = Field(default_factory=list)
    final_answer: NonEmpty


class Tags(BaseModel):
    """What a task exercises."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: TaskKind
    difficulty: Difficulty
    edge_cases: list[NonEmpty] = Field(default_factory=list)
    taxonomy: Coordinates | None = Field(
        None, description="What x phrasing x path x edge (see docs/taxonomy.md); optional."
    )


class Task(BaseModel):
    """One suite task; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$")]
    tier: TierName
    prompt: NonEmpty
    expected_first_tool: str | None = Field(
        description="Tool the model should call first; null: answer directly."
    )
    tags: Tags
    files: dict[RelPath, str] = Field(min_length=1, description="Fixture project: path -> content.")
    setup: list[SetupStep] = Field(default_factory=list)
    gold: Gold
    checker: list[Check] = Field(min_length=1)

    @model_validator(mode="after")
    def _tools_are_known_and_consistent(self) -> Task:
        tools = known_tools()
        first = self.gold.tool_calls[0].name if self.gold.tool_calls else None
        if self.expected_first_tool is not None and self.expected_first_tool not in tools:
            raise ValueError(f"expected_first_tool: unknown tool {self.expected_first_tool!r}")
        if first != self.expected_first_tool:
            raise ValueError(
                f"gold starts with {first!r} but expected_first_tool is {self.expected_first_tool!r}"
            )
        for index, call in enumerate(self.gold.tool_calls):
            if call.name not in tools:
                raise ValueError(f"gold.tool_calls[{index}]: unknown tool {call.name!r}")
            validator = jsonschema.Draft202012Validator(tools[call.name]["parameters"])
            error = jsonschema.exceptions.best_match(validator.iter_errors(call.arguments))
            if error is not None:
                where = "/".join(str(p) for p in error.absolute_path) or "arguments"
                raise ValueError(f"gold.tool_calls[{index}] ({call.name}): {where}: {error.message}")
        return self

    def coordinates(self) -> dict[str, str] | None:
        """The task's taxonomy coordinates (tier, what, phrasing, path, difficulty, edge), when tagged."""
        taxonomy = self.tags.taxonomy
        return None if taxonomy is None else taxonomy.axes(self.tier, self.tags.difficulty)

    def materialize(self, dest: Path) -> Path:
        """Build the fixture as a git repo at `dest` (absent or empty): files, commit "initial", setup."""
        return materialize(self, dest)

    def check(
        self,
        repo: Path,
        final_answer: str,
        todos: Sequence[Mapping[str, Any]] | None = None,
        *,
        command_timeout_s: float = 60.0,
    ) -> CheckResult:
        """Score the end state; never raises. `todos`: the final todo items (dicts with `content`)."""
        return check(self, repo, final_answer, todos, command_timeout_s=command_timeout_s)


def tasks_dir() -> Path:
    """The packaged task files."""
    return Path(str(resources.files("entropi.tasks").joinpath("data")))


def load_task(path: Path) -> Task:
    """Load and validate one task file; its id must equal the file name stem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TaskError(f"{path}: cannot read task: {exc}") from exc
    if not isinstance(raw, dict):
        raise TaskError(f"{path}: a task file must hold a mapping, not {type(raw).__name__}")
    try:
        task = Task.model_validate(raw)
    except ValidationError as exc:
        problems = "\n".join(
            f"  - {'.'.join(str(p) for p in err['loc']) or '(task)'}: {err['msg']}" for err in exc.errors()
        )
        raise TaskError(f"{path}: invalid task:\n{problems}") from None
    if task.id != path.stem:
        raise TaskError(f"{path}: id {task.id!r} must match the file name {path.stem!r}")
    return task


def load_tasks(directory: Path | None = None) -> list[Task]:
    """Every `*.yaml` task in `directory` (default: the packaged suite), sorted by id."""
    folder = directory if directory is not None else tasks_dir()
    if not folder.is_dir():
        raise TaskError(f"{folder}: task directory not found")
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise TaskError(f"{folder}: no task files (*.yaml)")
    return [load_task(path) for path in paths]
