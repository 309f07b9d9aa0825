"""The registry (dispatch, never raising, capping, timing), the todo list and todo_write, and handoff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tools_support import REGISTRY, call, call_raw, make_ctx

from entropi.agent.tools import TodoList, Tool, ToolBase, ToolContext, ToolError, ToolRegistry, ToolResult
from entropi.config.schema import known_tools


def test_default_registry_has_every_shipped_tool() -> None:
    assert REGISTRY.names() == sorted(known_tools())
    for name in REGISTRY.names():
        tool = REGISTRY.get(name)
        assert isinstance(tool, Tool)
        assert tool.schema == known_tools()[name]
    mutating = {name for name in REGISTRY.names() if REGISTRY.get(name).mutates}  # type: ignore[union-attr]
    assert mutating == {
        "filesystem.write_file",
        "filesystem.edit_file",
        "bash.execute",
        "git.add",
        "git.commit",
    }


@pytest.mark.parametrize(
    ("name", "args", "subject"),
    [
        ("filesystem.read_file", {"path": "src/a.py"}, "src/a.py"),
        ("filesystem.write_file", {"path": "b.md", "content": ""}, "b.md"),
        ("filesystem.list_directory", {}, "."),
        ("filesystem.glob", {"pattern": "**/*.py"}, "**/*.py"),
        ("filesystem.grep", {"pattern": "x", "path": "src"}, "src"),
        ("entropi.todo_write", {"action": "add", "items": []}, ""),
        ("entropi.handoff", {"tier": "code", "reason": "r"}, ""),
        ("git.commit", {"message": "m"}, ""),
    ],
)
def test_subjects(name: str, args: dict[str, Any], subject: str) -> None:
    tool = REGISTRY.get(name)
    assert tool is not None and tool.subject(args) == subject


def test_schemas_by_name() -> None:
    schemas = REGISTRY.schemas(["git.status", "filesystem.read_file"])
    assert [s["name"] for s in schemas] == ["git.status", "filesystem.read_file"]
    assert len(REGISTRY.schemas()) == 14
    with pytest.raises(ValueError, match="unknown tools: nope"):
        REGISTRY.schemas(["nope"])
    assert REGISTRY.get("nope") is None


class Misbehaving(ToolBase):
    """A test tool (borrowing git.status's schema) whose run does what the test sets."""

    name = "git.status"

    def __init__(self, action) -> None:
        super().__init__()
        self.action = action

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        return self.action()


def run_with(action, tmp_path: Path, **limits: Any) -> ToolResult:
    return ToolRegistry([Misbehaving(action)]).execute("git.status", {}, make_ctx(tmp_path, **limits))


def test_execute_never_raises(tmp_path: Path) -> None:
    def tool_error() -> ToolResult:
        raise ToolError("no_match", "nothing like that")

    def crash() -> ToolResult:
        raise ValueError("boom\nsecond line")

    def io_failure() -> ToolResult:
        raise PermissionError(13, "Permission denied", "/x")

    assert (run_with(tool_error, tmp_path).error_code, run_with(tool_error, tmp_path).content) == (
        "no_match",
        "nothing like that",
    )
    crashed = run_with(crash, tmp_path)
    assert (crashed.error_code, crashed.content) == ("internal_error", "git.status failed: ValueError: boom")
    io = run_with(io_failure, tmp_path)
    assert (io.error_code, io.content) == ("io_error", "git.status: Permission denied (x)")
    assert run_with(lambda: "not a result", tmp_path).error_code == "internal_error"
    unknown = call_raw(make_ctx(tmp_path), "shell.run", {})
    assert unknown.error_code == "unknown_tool" and "bash.execute" in unknown.content
    assert call_raw(make_ctx(tmp_path), "git.status", ["not", "a", "dict"]).error_code == "invalid_arguments"


def test_execute_caps_content_and_times_the_call(tmp_path: Path) -> None:
    result = run_with(lambda: ToolResult.ok("x" * 1000), tmp_path, result_max_chars=200)
    assert result.content == "x" * 200 + "\n[… 800 more characters truncated]"
    assert result.duration_ms > 0
    short = run_with(lambda: ToolResult.ok("short"), tmp_path, result_max_chars=200)
    assert short.content == "short"


def test_duplicate_registration_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        ToolRegistry([Misbehaving(None), Misbehaving(None)])


def test_tool_base_needs_a_shipped_schema() -> None:
    class Unknown(ToolBase):
        name = "filesystem.delete_everything"

    with pytest.raises(ValueError, match="no schema"):
        Unknown()


# --- todo --------------------------------------------------------------------------------------------------


def test_todo_actions_and_render() -> None:
    todos = TodoList()
    assert todos.render() == "Todo list: (empty)"
    todos.apply("add", [{"id": "1", "content": "Read the code"}, {"id": "2", "content": "Fix the bug"}])
    todos.apply("add", [{"id": "3", "content": "Run tests", "status": "pending"}])
    todos.apply("update", [{"id": "1", "status": "completed"}, {"id": "2", "status": "in_progress"}])
    assert todos.render() == "Todo list:\n- [x] 1 Read the code\n- [>] 2 Fix the bug\n- [ ] 3 Run tests"
    todos.apply("update", [{"id": "3", "content": "Run all tests"}])
    todos.apply("remove", [{"id": "1"}])
    assert [item["id"] for item in todos.to_list()] == ["2", "3"]
    assert todos.to_list()[1] == {"id": "3", "content": "Run all tests", "status": "pending"}
    todos.apply("replace", [{"id": "a", "content": "Only step", "status": "in_progress"}])
    assert todos.render() == "Todo list:\n- [>] a Only step"
    todos.apply("replace", [])
    assert todos.to_list() == []


@pytest.mark.parametrize(
    ("action", "items", "message"),
    [
        ("add", [{"id": "1", "content": "again"}], "already exists"),
        ("add", [{"id": "9", "content": "x"}, {"id": "9", "content": "y"}], "appears twice"),
        ("add", [{"id": "9"}], "needs a non-empty content"),
        ("add", [{"id": " ", "content": "x"}], "non-empty string id"),
        ("add", [{"id": "9", "content": "x", "status": "done"}], "not one of"),
        ("add", [], "at least one item"),
        ("add", ["not an object"], "must be an object"),
        ("update", [{"id": "7", "status": "completed"}], "no todo item with id '7'"),
        ("update", [{"id": "1"}], "give a new content or status"),
        ("update", [{"id": "1", "status": "completed"}, {"id": "8", "status": "completed"}], "id '8'"),
        ("remove", [{"id": "7"}], "ids: 1, 2"),
        ("rename", [{"id": "1"}], "action 'rename'"),
    ],
)
def test_todo_bad_input_changes_nothing(action: str, items: list[Any], message: str) -> None:
    todos = TodoList()
    todos.apply("add", [{"id": "1", "content": "First"}, {"id": "2", "content": "Second"}])
    before = todos.to_list()
    with pytest.raises(ToolError, match=message) as info:
        todos.apply(action, items)
    assert info.value.code == "invalid_arguments"
    assert todos.to_list() == before


def test_todo_write_tool(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path)
    result = call(ctx, "entropi.todo_write", action="add", items=[{"id": "1", "content": "Plan"}])
    assert result.status == "ok"
    assert result.content == "Todo list:\n- [ ] 1 Plan"
    assert result.data == {"todos": [{"id": "1", "content": "Plan", "status": "pending"}]}
    failed = call(ctx, "entropi.todo_write", action="update", items=[{"id": "2", "status": "completed"}])
    assert failed.error_code == "invalid_arguments"
    assert ctx.todos.to_list() == result.data["todos"]


# --- handoff -----------------------------------------------------------------------------------------------


def test_handoff(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, tier="normal")
    result = call(ctx, "entropi.handoff", tier="code", reason=" needs an edit ")
    assert result.status == "ok"
    assert result.data == {"tier": "code", "reason": "needs an edit"}
    assert result.content == "Handing off to the code tier: needs an edit"
    same = call(ctx, "entropi.handoff", tier="normal", reason="x")
    assert same.error_code == "same_tier"
    assert (
        call_raw(ctx, "entropi.handoff", {"tier": "genius", "reason": "x"}).error_code == "invalid_arguments"
    )
    assert call(ctx, "entropi.handoff", tier="code", reason="  ").error_code == "invalid_arguments"
