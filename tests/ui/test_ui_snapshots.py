"""Snapshots of the main states (pytest-textual-snapshot): empty, a finished turn with reasoning, tool
cards and the todo panel, and the approval modal with a diff. Events are posted directly so timings are
fixed. Update after an intended change with ``pytest tests/ui/test_ui_snapshots.py --snapshot-update``."""

from __future__ import annotations

from ui_support import make_app, wait_for

from entropi.agent import events as ev
from entropi.agent.permissions import PermissionPolicy
from entropi.agent.tools.registry import ToolRegistry
from entropi.ui.messages import AgentEvent
from entropi.ui.screens.approval import ApprovalScreen

SIZE = (140, 34)
TODOS = [
    {"id": "1", "content": "read app.py", "status": "completed"},
    {"id": "2", "content": "fix add()", "status": "in_progress"},
    {"id": "3", "content": "run the tests", "status": "pending"},
]
ANSWER = "`add` subtracts. The fix:\n\n```python\ndef add(a, b):\n    return a + b\n```\n"
TURN = [
    ev.TurnStarted(
        0,
        "why does add() fail?",
        "code",
        {"code": 0.81, "normal": 0.12, "thinking": 0.05, "simple": 0.02},
        False,
    ),
    ev.ModelCallStarted("code", 0, "v3"),
    ev.StreamDelta("thinking", "The user reports add() failing. "),
    ev.StreamDelta("thinking", "Read app.py first."),
    ev.ModelCallFinished(
        "code", 0, "eos", {"prompt_tokens": 2900, "completion_tokens": 40, "swap_ms": 0.42}, None
    ),
    ev.ToolCallStarted("c1", "entropi.todo_write", {"action": "replace", "items": TODOS}),
    ev.ToolCallFinished("c1", "entropi.todo_write", "ok", "Todo list updated", 0.4),
    ev.TodoUpdated(TODOS),
    ev.ToolCallStarted("c2", "filesystem.read_file", {"path": "app.py"}),
    ev.ToolCallFinished("c2", "filesystem.read_file", "ok", "1\tdef add(a, b):\n2\t    return a - b", 2.0),
    ev.ToolCallStarted("c3", "bash.execute", {"command": "pytest -q"}),
    ev.ToolCallFinished("c3", "bash.execute", "error", "1 failed", 812.0, "exit_1", "allow_once"),
    ev.ModelCallStarted("code", 1, "v3"),
    *(ev.StreamDelta("content", ANSWER[i : i + 9]) for i in range(0, len(ANSWER), 9)),
    ev.ModelCallFinished(
        "code", 1, "eos", {"prompt_tokens": 3100, "completion_tokens": 60, "decode_tok_s": 38.2}, None
    ),
    ev.TurnFinished(0, ANSWER.strip(), "answer", "code", 2, 3),
]


async def steady_cursor(pilot) -> None:
    """A blinking cursor would make the picture depend on the moment it is taken."""
    pilot.app.query_one("#prompt").cursor_blink = False
    await pilot.pause()


def test_empty(project, snap_compare):
    assert snap_compare(make_app(project, []), terminal_size=SIZE, run_before=steady_cursor)


def test_finished_turn_with_thinking_tools_and_todos(project, snap_compare):
    app = make_app(project, [])

    async def play(pilot) -> None:
        await steady_cursor(pilot)
        view = await app.show_turn("why does add() fail?")
        for event in TURN:
            app.post_message(AgentEvent(event))
        await wait_for(pilot, lambda: view.has_class("done") and app.todos.display, what="the turn")
        app.set_thinking(True)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=play)


def test_approval_modal_with_a_diff(project, snap_compare):
    app = make_app(project, [])
    policy = PermissionPolicy(app.config.permissions, project_root=project)
    tool = ToolRegistry.default().get("filesystem.edit_file")
    args = {"path": "app.py", "old_string": "a - b", "new_string": "a + b"}
    request = policy.approval_request(tool, args, policy.check(tool, args))

    async def ask(pilot) -> None:
        await steady_cursor(pilot)
        app.push_screen(ApprovalScreen(request))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=ask)
