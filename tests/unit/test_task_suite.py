"""The task suite: every task file is valid; each checker fails on the fresh repo and passes once the gold
solution has run through the real tool registry; repos are built without the user's git config; bad task
files and broken repos give clear errors, never crashes."""

import copy
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from entropi.agent.tools import FileTracker, TodoList, ToolContext, ToolRegistry
from entropi.config import TIERS, known_tools, load_config
from entropi.config.schema import ToolsConfig
from entropi.tasks import TaskError, check, load_task, load_tasks, materialize, tasks_dir
from entropi.tasks.workspace import GIT_NAME

TASKS = load_tasks()
TASK_FILES = sorted(tasks_dir().glob("*.yaml"))


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def tier_tools(tmp_path_factory) -> dict[str, list[str]]:
    home = tmp_path_factory.mktemp("home")
    config = load_config(home, env={}, home=home)
    return {name: list(tier.tools) for name, tier in config.tiers.items()}


def _run_gold(task, repo: Path) -> TodoList:
    """Apply the gold tool calls through the real registry, following handoffs; assert each call succeeds."""
    registry = ToolRegistry.default()
    ctx = ToolContext(
        project_root=repo, config=ToolsConfig(), files=FileTracker(), todos=TodoList(), tier=task.tier
    )
    for call in task.gold.tool_calls:
        result = registry.execute(call.name, copy.deepcopy(call.arguments), ctx)
        assert result.status == "ok", f"{task.id}: {call.name} failed: {result.error_code}: {result.content}"
        if call.name == "entropi.handoff":
            ctx.tier = result.data["tier"]
    return ctx.todos


def test_the_suite_covers_every_tier_and_kind():
    assert len(TASKS) >= 14
    assert {task.tier for task in TASKS} == set(TIERS)
    kinds = {task.tags.kind for task in TASKS}
    assert kinds >= {"read", "find", "list", "edit", "fix", "feature", "rename", "commit", "write", "plan"}
    assert kinds >= {"investigate", "answer", "handoff"}
    assert {task.tags.difficulty for task in TASKS} == {"easy", "medium", "hard"}
    assert len({task.id for task in TASKS}) == len(TASKS)


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_task_file_is_valid_and_its_tools_are_known(path):
    task = load_task(path)
    assert task.id == path.stem
    tools = known_tools()
    assert task.expected_first_tool is None or task.expected_first_tool in tools
    for call in task.gold.tool_calls:
        jsonschema.validate(call.arguments, tools[call.name]["parameters"])  # raises on a bad gold call
    assert [c.name for c in task.gold.tool_calls][:1] == (
        [task.expected_first_tool] if task.expected_first_tool else []
    )


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_gold_calls_are_offered_to_the_tier_making_them(task, tier_tools):
    tier = task.tier
    for call in task.gold.tool_calls:
        assert call.name in tier_tools[tier], f"{call.name} is not a {tier} tool"
        if call.name == "entropi.handoff":
            assert call.arguments["tier"] != tier
            tier = call.arguments["tier"]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_checker_fails_on_the_fresh_repo(task, tmp_path):
    repo = task.materialize(tmp_path / "repo")
    result = task.check(repo, "", todos=[])
    assert not result.passed
    assert "failed" in result.detail
    if any(c.answer_contains is None for c in task.checker):  # the answer alone must not be enough
        assert not task.check(repo, task.gold.final_answer, todos=[]).passed


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_gold_solution_passes_the_checker(task, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    repo = task.materialize(tmp_path / "repo")
    todos = _run_gold(task, repo)
    result = task.check(repo, task.gold.final_answer, todos=todos.to_list())
    assert result.passed, result.detail
    assert result.detail == f"all {len(task.checker)} checks passed"


# --- materialize -------------------------------------------------------------------------------------------


def _task(tmp_path: Path, **changes):
    """A valid task built from a small base, with top-level keys replaced."""
    raw = {
        "id": "sample",
        "tier": "code",
        "prompt": "Fix it.",
        "expected_first_tool": "filesystem.read_file",
        "tags": {"kind": "edit", "difficulty": "easy"},
        "files": {"a.py": "X = 1\n", "pkg/b.py": "Y = 2\n"},
        "gold": {
            "tool_calls": [{"name": "filesystem.read_file", "arguments": {"path": "a.py"}}],
            "final_answer": "ok",
        },
        "checker": [{"file_contains": {"path": "a.py", "text": "X = 2"}}],
    }
    raw.update(changes)
    path = tmp_path / f"{raw['id']}.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_task(path)


def test_materialize_ignores_the_users_git_config(tmp_path, monkeypatch):
    hostile = tmp_path / "gitconfig"
    hostile.write_text(
        "[user]\n\tname = Someone Else\n[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = /nonexistent/gpg\n"
        "[init]\n\tdefaultBranch = trunk\n[core]\n\thooksPath = /nonexistent/hooks\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(hostile))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Intruder")
    task = next(t for t in TASKS if t.id == "git_history")
    repo = task.materialize(tmp_path / "repo")
    monkeypatch.delenv("GIT_DIR")
    log = _git(repo, "log", "--format=%an|%s", "main")
    assert log.splitlines() == [
        f"{GIT_NAME}|Document the 1.2.0 changes",
        f"{GIT_NAME}|Bump version to 1.2.0",
        f"{GIT_NAME}|initial",
    ]
    assert _git(repo, "config", "--local", "commit.gpgsign").strip() == "false"
    assert not (tmp_path / "elsewhere").exists()


def test_materialize_is_reproducible_and_applies_setup(tmp_path):
    task = next(t for t in TASKS if t.id == "commit_staged")
    first, second = task.materialize(tmp_path / "one"), materialize(task, tmp_path / "two")
    assert _git(first, "rev-parse", "HEAD") == _git(second, "rev-parse", "HEAD")
    assert _git(first, "diff", "--cached", "--name-only").split() == ["greet.py"]
    assert _git(first, "status", "--porcelain").splitlines() == ["M  greet.py", "?? CHANGELOG.md"]


def test_materialize_excludes_caches_from_git_status(tmp_path):
    repo = _task(tmp_path).materialize(tmp_path / "repo")
    (repo / "__pycache__").mkdir()
    (repo / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (repo / ".entropi").mkdir()
    (repo / ".entropi" / "session_model.log").write_text("x", encoding="utf-8")
    assert _git(repo, "status", "--porcelain") == ""


def test_materialize_refuses_a_non_empty_or_file_destination(tmp_path):
    task = _task(tmp_path)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(TaskError, match="absent or an empty directory"):
        task.materialize(tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text(encoding="utf-8") == "mine"
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(TaskError, match="absent or an empty directory"):
        task.materialize(tmp_path / "file")
    assert task.materialize(tmp_path / "empty").is_dir()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ([{"delete": "missing.py"}], "no file missing.py to delete"),
        ([{"commit": "nothing staged"}], "git commit"),
        ([{"stage": ["nope.py"]}], "git add"),
        ([{"write": {"path": "a.py/inner.py", "content": "x"}}], "cannot write a.py/inner.py"),
    ],
)
def test_a_setup_step_that_cannot_apply_is_a_task_error(tmp_path, setup, message):
    task = _task(tmp_path, setup=setup)
    with pytest.raises(TaskError, match=message):
        task.materialize(tmp_path / "repo")


# --- check -------------------------------------------------------------------------------------------------


def _checker(tmp_path: Path, *checks: dict):
    return _task(tmp_path, checker=list(checks))


def test_check_on_a_missing_repo_fails_without_raising(tmp_path):
    result = _task(tmp_path).check(tmp_path / "nowhere", "answer")
    assert not result.passed
    assert "is not a directory" in result.detail


def test_check_reports_every_failure(tmp_path):
    task = _checker(
        tmp_path,
        {"file_contains": {"path": "a.py", "text": "X = 2"}},
        {"file_contains": {"path": "gone.py", "text": "x"}},
        {"file_not_contains": {"path": "a.py", "text": "X = 1"}},
        {"file_not_contains": {"path": "absent.py", "text": "x"}},
    )
    repo = task.materialize(tmp_path / "repo")
    result = task.check(repo, "")
    assert not result.passed
    assert result.detail.startswith("3 of 4 checks failed")
    assert "a.py lacks 'X = 2'" in result.detail
    assert "gone.py does not exist" in result.detail
    assert "a.py still contains 'X = 1'" in result.detail


def test_answer_contains_ignores_case_and_spacing_and_accepts_alternatives(tmp_path):
    task = _checker(tmp_path, {"answer_contains": ["JavaScript Object Notation", ["tuple", "pair"]]})
    repo = task.materialize(tmp_path / "repo")
    assert task.check(repo, "It means javascript\n  object   NOTATION, a list of PAIRS").passed
    failed = task.check(repo, "JavaScript Object Notation")
    assert not failed.passed
    assert "'tuple' or 'pair'" in failed.detail


def test_command_failures_are_reported_not_raised(tmp_path):
    task = _checker(
        tmp_path,
        {"command_succeeds": ["python", "-c", "import sys; print('boom'); sys.exit(3)"]},
        {"command_succeeds": ["definitely-not-a-command-xyz"]},
        {"command_succeeds": ["python", "-c", "import time; time.sleep(5)"]},
    )
    repo = task.materialize(tmp_path / "repo")
    result = task.check(repo, "", command_timeout_s=0.5)
    assert result.detail.startswith("3 of 3 checks failed")
    assert "exited 3: boom" in result.detail
    assert "command not found: definitely-not-a-command-xyz" in result.detail
    assert "timed out after 0.5 s" in result.detail


def test_commands_run_with_this_python_in_the_repo_without_pythonpath(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))
    script = (
        "import os, sys, a; assert a.X == 1; assert 'PYTHONPATH' not in os.environ; print(sys.executable)"
    )
    task = _checker(tmp_path, {"command_succeeds": ["python", "-c", script]})
    assert task.check(task.materialize(tmp_path / "repo"), "").passed


def test_git_last_commit_on_a_plain_directory_fails_cleanly(tmp_path):
    task = _checker(tmp_path, {"git_last_commit_matches": "^initial$"})
    plain = tmp_path / "plain"
    plain.mkdir()
    result = check(task, plain, "")
    assert not result.passed
    assert "cannot read the last commit" in result.detail
    assert task.check(task.materialize(tmp_path / "repo"), "").passed


def test_todos_need_a_list_with_enough_items_with_content(tmp_path):
    task = _checker(tmp_path, {"todos_at_least": 2})
    repo = task.materialize(tmp_path / "repo")
    assert "no todo list was given" in task.check(repo, "").detail
    odd = [{"id": "1", "content": "  "}, "not a mapping", {"id": "2", "content": "Read"}]
    assert "1 todo items with content, need at least 2" in task.check(repo, "", todos=odd).detail
    assert task.check(repo, "", todos=[{"content": "a"}, {"content": "b"}]).passed


def test_a_non_utf8_file_is_read_without_crashing(tmp_path):
    task = _checker(tmp_path, {"file_contains": {"path": "a.py", "text": "X = 1"}})
    repo = task.materialize(tmp_path / "repo")
    (repo / "a.py").write_bytes(b"\xff\xfe X = 1")
    assert task.check(repo, "").passed


# --- bad task files ----------------------------------------------------------------------------------------

GOOD_CALL = {"name": "filesystem.read_file", "arguments": {"path": "a.py"}}


def _gold(*calls: dict) -> dict:
    return {"gold": {"tool_calls": list(calls), "final_answer": "x"}}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"surprise": 1}, "surprise: Extra inputs are not permitted"),
        ({"tier": "genius"}, "tier"),
        ({"tags": {"kind": "edit", "difficulty": "brutal"}}, "tags.difficulty"),
        ({"tags": {"kind": "dance", "difficulty": "easy"}}, "tags.kind"),
        ({"prompt": ""}, "prompt"),
        ({"files": {}}, "files"),
        ({"files": {"../escape.py": "x"}}, "must be relative"),
        ({"files": {"/etc/passwd": "x"}}, "must be relative"),
        ({"files": {"a//b.py": "x"}}, "normalized"),
        ({"files": {".git/config": "x"}}, "inside .git/"),
        ({"files": {".": "x"}}, "invalid path '.'"),
        ({"files": {"a\\b.py": "x"}}, "invalid path"),
        ({"setup": [{"write": {"path": "a.py", "content": "x"}, "stage": ["a.py"]}]}, "exactly one of"),
        ({"setup": [{"push": "origin"}]}, "push"),
        ({"checker": []}, "checker"),
        ({"checker": [{}]}, "exactly one of"),
        ({"checker": [{"todos_at_least": 2, "answer_contains": ["x"]}]}, "exactly one of"),
        ({"checker": [{"file_exists": "a.py"}]}, "file_exists"),
        ({"checker": [{"todos_at_least": 0}]}, "todos_at_least"),
        ({"checker": [{"answer_contains": [[]]}]}, "answer_contains"),
        ({"checker": [{"command_succeeds": []}]}, "command_succeeds"),
        ({"checker": [{"git_last_commit_matches": "(unclosed"}]}, "invalid regex"),
        ({"checker": [{"file_contains": {"path": "a.py"}}]}, "text"),
        ({"expected_first_tool": "filesystem.teleport"}, "unknown tool 'filesystem.teleport'"),
        ({"expected_first_tool": "filesystem.grep"}, "gold starts with 'filesystem.read_file'"),
        ({"expected_first_tool": None}, "expected_first_tool is None"),
        (_gold(GOOD_CALL, {"name": "nope.tool"}), "unknown tool 'nope.tool'"),
        (_gold({"name": "filesystem.read_file", "arguments": {}}), "'path' is a required property"),
        (_gold({**GOOD_CALL, "arguments": {"path": "a.py", "mode": "r"}}), "Additional properties"),
        (_gold({**GOOD_CALL, "arguments": {"path": "a.py", "start_line": 0}}), "start_line"),
        ({"gold": {"tool_calls": [GOOD_CALL]}}, "final_answer"),
    ],
)  # fmt: skip
def test_an_invalid_task_is_rejected_with_a_clear_error(tmp_path, changes, message):
    with pytest.raises(TaskError, match="invalid task") as excinfo:
        _task(tmp_path, **changes)
    assert message in str(excinfo.value)
    assert "sample.yaml" in str(excinfo.value)


def test_the_id_must_match_the_file_name(tmp_path):
    source = tmp_path / "sample.yaml"
    _task(tmp_path)
    renamed = source.rename(tmp_path / "other.yaml")
    with pytest.raises(TaskError, match="id 'sample' must match the file name 'other'"):
        load_task(renamed)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed\n", "cannot read task"),
        ("- a list\n", "must hold a mapping, not list"),
        ("", "not NoneType"),
    ],
)
def test_unreadable_task_files_are_rejected(tmp_path, text, message):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TaskError, match=message):
        load_task(path)


def test_load_tasks_needs_an_existing_directory_with_task_files(tmp_path):
    with pytest.raises(TaskError, match="task directory not found"):
        load_tasks(tmp_path / "missing")
    with pytest.raises(TaskError, match="no task files"):
        load_tasks(tmp_path)
    _task(tmp_path)
    assert [task.id for task in load_tasks(tmp_path)] == ["sample"]
