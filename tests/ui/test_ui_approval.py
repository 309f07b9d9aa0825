"""The approval modal on real permission checks: each answer, the diff preview, plan mode, quitting."""

from __future__ import annotations

import threading

import yaml
from textual.widgets import Input
from ui_support import LOG, call, make_app, submit, wait_for, wait_idle

from entropi.agent.permissions import ApprovalDecision, ApprovalRequest
from entropi.modellog import ApprovalRecord, iter_log
from entropi.ui.approver import CLOSED_FEEDBACK, TuiApprover
from entropi.ui.screens.approval import ApprovalScreen
from entropi.ui.widgets.tool_card import ToolCard

READ = call("filesystem.read_file", path="app.py")  # the edit tool wants the file read first
EDIT = call("filesystem.edit_file", path="app.py", old_string="a - b", new_string="a + b")


async def _modal(pilot, app) -> ApprovalScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), what="the approval modal")
    return app.screen  # type: ignore[return-value]


def _decisions(project) -> list[str]:
    return [r.decision for r in iter_log(project / LOG) if isinstance(r, ApprovalRecord)]


async def test_modal_shows_the_diff_and_allow_once_runs_the_edit(project):
    app = make_app(project, [READ, EDIT, "Fixed."])
    async with app.run_test(size=(110, 40)) as pilot:
        await submit(pilot, "fix add")
        modal = await _modal(pilot, app)
        req = modal.request
        assert req.tool == "filesystem.edit_file" and req.subject == "app.py"
        assert "-    return a - b" in req.preview and "+    return a + b" in req.preview
        preview = modal.query_one("#approval-preview-text").content
        assert preview.lexer.name == "Diff" and "+    return a + b" in preview.code
        card = app.query(ToolCard).last()
        assert card.status == "running"  # the card is shown before the question
        await pilot.press("y")
        await wait_idle(pilot, app)
        assert (project / "app.py").read_text() == "def add(a, b):\n    return a + b\n"
        assert card.status == "ok" and _decisions(project) == ["allow_once"]


async def test_allow_always_stores_a_rule(project):
    app = make_app(project, [READ, EDIT, "Fixed."])
    async with app.run_test(size=(110, 40)) as pilot:
        await submit(pilot, "fix add")
        await _modal(pilot, app)
        await pilot.press("a")
        await wait_idle(pilot, app)
        local = yaml.safe_load((project / ".entropi" / "config.local.yaml").read_text())
        assert "filesystem.edit_file:app.py" in local["permissions"]["allow"]
        card = app.query(ToolCard).last()
        assert card.status == "ok" and "always allowed" in card.title


async def test_deny_by_key_escape_and_button(project):
    for how in ("n", "escape", "button"):
        (project / "app.py").write_text("def add(a, b):\n    return a - b\n")
        app = make_app(project, [READ, EDIT, "Understood."])
        async with app.run_test(size=(110, 40)) as pilot:
            await submit(pilot, "fix add")
            modal = await _modal(pilot, app)
            if how == "button":
                await pilot.click(modal.query_one("#deny"))
            else:
                await pilot.press(how)
            await wait_idle(pilot, app)
            card = app.query(ToolCard).last()
            assert card.status == "error" and "denied by you" in card.title, how
            assert "a - b" in (project / "app.py").read_text()


async def test_deny_with_feedback_reaches_the_model(project):
    app = make_app(project, [READ, EDIT, "OK, I will use a helper."])
    async with app.run_test(size=(110, 40)) as pilot:
        await submit(pilot, "fix add")
        modal = await _modal(pilot, app)
        await pilot.press("f")
        box = modal.query_one("#approval-feedback", Input)
        assert box.display and box.has_focus
        await pilot.press("enter")  # empty feedback is not sent
        assert app.screen is modal and "Type what the model should do" in str(
            modal.query_one("#approval-hint").content
        )
        await pilot.press(*"use sum()")  # letters bound on the modal (y/a/n/f) go into the box
        assert box.value == "use sum()"
        await pilot.press("enter")
        await wait_idle(pilot, app)
        tool_message = app.model.calls[2]["messages"][-1]
        assert tool_message["role"] == "tool" and "The user says: use sum()" in tool_message["content"]
        assert _decisions(project) == ["deny_feedback"]


async def test_bash_preview_is_the_command_and_other_tools_show_arguments():
    bash = ApprovalScreen(ApprovalRequest("bash.execute", {"command": "make"}, "make", "asks", "make"))
    git = ApprovalScreen(ApprovalRequest("git.commit", {"message": "fix"}, "", "asks", None))
    from textual.app import App

    for screen, lexer, text in ((bash, "Bash", "make"), (git, "JSON", '"message": "fix"')):
        async with App().run_test() as pilot:
            pilot.app.push_screen(screen)
            await pilot.pause()
            preview = screen.query_one("#approval-preview-text").content
            assert preview.lexer.name.startswith(lexer) and text in preview.code


async def test_plan_mode_refuses_changes_without_asking(project):
    app = make_app(project, [READ, EDIT, "I can only plan."])
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.press("f2")
        assert app.plan_mode and app.query_one("#status-plan").display
        await submit(pilot, "fix add")
        await wait_idle(pilot, app)
        assert not isinstance(app.screen, ApprovalScreen)
        card = app.query(ToolCard).last()
        assert card.status == "error" and "refused by a rule" in card.title
        assert app.session.policy.plan_mode and "a - b" in (project / "app.py").read_text()
        await pilot.press("f2")
        assert not app.plan_mode and not app.session.policy.plan_mode
        assert not app.query_one("#status-plan").display


async def test_plan_mode_from_config_is_on_at_start(project):
    app = make_app(project, ["ok"], config_extra={"permissions": {"plan_mode": True}})
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.plan_mode and app.status.text("plan") == "PLAN (read-only)"
        await submit(pilot, "hi")
        await wait_idle(pilot, app)
        assert app.session.policy.plan_mode


async def test_quit_while_the_modal_waits_denies_and_exits(project):
    app = make_app(project, [READ, EDIT, "unused"])
    async with app.run_test(size=(110, 40)) as pilot:
        await submit(pilot, "fix add")
        await _modal(pilot, app)
        await app.action_quit()
        assert app._exit_renderables is not None or app.return_code is not None or not app.is_running
    assert _decisions(project) == ["deny"]
    assert "a - b" in (project / "app.py").read_text()


def test_approver_denies_when_closed_or_the_app_is_gone():
    from textual.app import App

    request = ApprovalRequest("bash.execute", {"command": "ls"}, "ls", "asks", "ls")
    approver = TuiApprover(App())  # never started: the request cannot be shown
    assert approver(request) == ApprovalDecision("deny", feedback=CLOSED_FEEDBACK)
    approver.close()
    assert approver(request).decision == "deny"


def test_close_releases_a_waiting_worker():
    class Host:
        is_running = True

        def post_message(self, _message) -> bool:
            return True  # accepted, but nobody will ever answer

    approver = TuiApprover(Host())  # type: ignore[arg-type]
    answers: list[ApprovalDecision] = []
    worker = threading.Thread(target=lambda: answers.append(approver(ApprovalRequest("x", {}, "", "", None))))
    worker.start()
    worker.join(0.2)
    assert worker.is_alive()  # blocked on the answer
    approver.close()
    worker.join(5)
    assert answers == [ApprovalDecision("deny", feedback=CLOSED_FEEDBACK)]
