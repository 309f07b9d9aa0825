"""Slash commands in the prompt and the command palette, sessions, feedback, input history."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import OptionList
from ui_support import LOG, call, make_app, notices, submit, wait_for, wait_idle

from entropi.agent.session_store import SESSIONS_FILE, SessionStore
from entropi.modellog import OutcomeRecord, iter_log
from entropi.ui.commands import COMMANDS, HANDLERS
from entropi.ui.history import HISTORY_FILE
from entropi.ui.screens.sessions import SessionsScreen
from entropi.ui.widgets.answer import Answer
from entropi.ui.widgets.thinking import ThinkingBlock
from entropi.ui.widgets.tier_badge import TierBadge
from entropi.ui.widgets.tool_card import ToolCard
from entropi.ui.widgets.turn_view import TurnView
from entropi.ui.widgets.user_message import UserMessage


def test_every_command_has_a_handler():
    assert {c.name for c in COMMANDS} == set(HANDLERS)


async def test_help_lists_every_command_and_key(project):
    app = make_app(project, [])
    async with app.run_test(size=(100, 40)) as pilot:
        await submit(pilot, "/help")
        table = app.query("Notice").last().content
        rows = [str(cell) for cell in table.columns[0].cells]
        assert rows[: len(COMMANDS)] == [c.usage for c in COMMANDS]
        assert "/think [on|off]" in rows and "Esc" in rows and "Ctrl+T" in rows


async def test_tier_fixes_the_tier_and_auto_returns_to_routing(project):
    app = make_app(project, ["one", "two"])
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "/tier thinking")
        assert app.tier_override == "thinking" and app.status.text("tier") == "tier thinking"
        await submit(pilot, "hi")
        await wait_idle(pilot, app)
        badge = app.query_one(TierBadge)
        assert badge.tiers == ["thinking"] and "fixed tier" in badge.text
        assert app.model.calls[0]["tier"] == "thinking"
        await submit(pilot, "/tier auto")
        assert app.tier_override is None and app.status.text("tier") == "tier auto"
        await submit(pilot, "again")
        await wait_idle(pilot, app)
        assert app.model.calls[1]["tier"] == "code" and "router" in app.query(TierBadge).last().text


async def test_bad_commands_say_what_is_wrong(project):
    app = make_app(project, ["sent"])
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "/tier fastest")
        assert "unknown tier 'fastest'" in notices(app)[-1]
        await submit(pilot, "/think maybe")
        assert notices(app)[-1] == "usage: /think [on|off]"
        await submit(pilot, "/tire code")
        assert "unknown command /tire (did you mean /tier?)" in notices(app)[-1]
        await submit(pilot, "/good")
        assert notices(app)[-1] == "no turn to mark good yet"
        await submit(pilot, "/compact")
        assert notices(app)[-1] == "nothing to compact yet"
        assert app.query("Notice").last().kind == "error"
        await submit(pilot, "//etc/hosts is what?")  # '//' sends a line that starts with '/'
        await wait_idle(pilot, app)
        assert app.query_one(UserMessage).text == "/etc/hosts is what?"


async def test_commands_that_change_the_session_wait_for_the_turn(project):
    from ui_support import GatedModel

    app = make_app(project, ["slow answer here"], model_cls=GatedModel, pause_after=3)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "go")
        await wait_for(pilot, app.model.paused.is_set, what="the model to pause")
        for command in ("/clear", "/compact", "/sessions", "/resume"):
            await submit(pilot, command)
            assert notices(app)[-1].endswith("waits until the model is done (Esc interrupts it)"), command
        await submit(pilot, "/tier simple")  # harmless ones still work
        assert app.tier_override == "simple"
        app.model.gate.set()
        await wait_idle(pilot, app)


async def test_think_shows_and_hides_reasoning(project):
    app = make_app(project, ["<think>hmm</think>Done."])
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "/think on")
        await submit(pilot, "go")
        await wait_idle(pilot, app)
        block = app.query_one(ThinkingBlock)
        assert not block.collapsed  # new blocks follow the setting
        await submit(pilot, "/think")
        assert block.collapsed and not app.show_thinking


async def test_plan_command_toggles_plan_mode(project):
    app = make_app(project, [])
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "/plan on")
        assert app.plan_mode and notices(app)[-1] == "plan mode on: read-only"
        await submit(pilot, "/plan")
        assert not app.plan_mode


async def test_clear_starts_a_new_session(project):
    app = make_app(project, ["first", "second"])
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "one")
        await wait_idle(pilot, app)
        first = app.session_id
        await submit(pilot, "/clear")
        assert app.session is None and not app.query(TurnView) and app.status.used == 0
        await submit(pilot, "two")
        await wait_idle(pilot, app)
        assert app.session_id != first and app.session.turn_index == 1
        assert app.model.calls[1]["messages"] == [{"role": "user", "content": "two"}]


async def test_compact_replaces_old_traffic_with_a_summary(project):
    outputs = [call("filesystem.read_file", path="app.py"), "It subtracts.", "Second.", "Third."]
    app = make_app(project, outputs, config_extra={"context": {"keep_recent_turns": 1}})
    async with app.run_test(size=(100, 30)) as pilot:
        for text in ("look at app.py", "and now?"):
            await submit(pilot, text)
            await wait_idle(pilot, app)
        await submit(pilot, "/compact")
        assert notices(app)[-1].startswith("compacted: ")
        before, after = (int(n) for n in notices(app)[-1].split(": ")[1].split(" tokens")[0].split(" → "))
        assert after < before and app.status.used == after
        kinds = [e.kind for e in app.session.conversation.entries]
        assert "summary" in kinds and "tool" not in kinds
        await submit(pilot, "/compact")
        assert notices(app)[-1].startswith("nothing old enough to compact")


async def test_good_and_bad_are_stored_and_logged(project):
    app = make_app(project, ["answer"])
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "q")
        await wait_idle(pilot, app)
        await submit(pilot, "/good clear and right")
        await submit(pilot, "/bad")
        assert notices(app)[-2:] == ["recorded good for turn 0: clear and right", "recorded bad for turn 0"]
        stored = [(f.signal, f.detail) for f in app.session.store.feedback(app.session_id)]
        assert stored == [("good", "clear and right"), ("bad", None)]
    outcomes = [r for r in iter_log(project / LOG) if isinstance(r, OutcomeRecord)]
    assert [(o.signal, o.passed) for o in outcomes] == [("good", True), ("bad", False)]


async def test_sessions_picker_resumes_a_session_with_its_history(project):
    app = make_app(project, [call("filesystem.read_file", path="app.py"), "It subtracts.", "new one"])
    async with app.run_test(size=(120, 40)) as pilot:
        await submit(pilot, "what does app.py do?")
        await wait_idle(pilot, app)
        old = app.session_id
        await submit(pilot, "/clear")
        await submit(pilot, "another topic")
        await wait_idle(pilot, app)
        await submit(pilot, "/sessions")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen), what="the picker")
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2 and "(current)" in str(options.get_option_at_index(0).prompt)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.session_id == old, what="the resume")
        await pilot.pause()
        assert [m.text for m in app.query(UserMessage)] == ["what does app.py do?"]
        card = app.query_one(ToolCard)
        assert card.status == "ok" and "return a - b" in card.result_text
        assert app.query_one(Answer).text == "It subtracts."
        assert notices(app)[-1] == f"resumed session {old} (4 messages)" and app.status.used > 0


async def test_picker_escape_and_empty_store(project):
    app = make_app(project, [])
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "/sessions")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionsScreen), what="the picker")
        assert app.screen.query_one("#sessions-empty")
        await pilot.press("escape")
        assert not isinstance(app.screen, SessionsScreen) and app.session is None


async def test_resume_command_and_resume_at_start(project):
    app = make_app(project, ["earlier answer"])
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "/resume")
        assert notices(app)[-1] == "there is no other session to resume"
        await submit(pilot, "/resume nosuchid")
        assert notices(app)[-1].startswith("cannot resume nosuchid:")
        await submit(pilot, "remember this")
        await wait_idle(pilot, app)
        earlier = app.session_id
        await submit(pilot, "/clear")
        await submit(pilot, "/resume")
        assert app.session_id == earlier
    again = make_app(project, ["continued"], resume="")  # `entropi tui --resume`: the latest session
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert again.session_id == earlier and again.query_one(Answer).text == "earlier answer"
        await submit(pilot, "go on")
        await wait_idle(pilot, again)
        assert [m["content"] for m in again.model.calls[0]["messages"]][-1] == "go on"
    with SessionStore(project / SESSIONS_FILE) as store:
        assert len(store.messages(earlier)) == 4


async def test_adapters_and_model_commands(project):
    app = make_app(project, [])
    async with app.run_test(size=(110, 30)) as pilot:
        await submit(pilot, "/adapters")
        table = app.query("Notice").last().content
        assert [str(c) for c in table.columns[0].cells] == ["thinking", "normal", "code", "simple"]
        assert {str(c) for c in table.columns[1].cells} == {"scripted"}
        await submit(pilot, "/model")
        assert notices(app)[-1] == "model: ScriptedModel\ncontext: 8192 tokens"


async def test_quit_command_exits(project):
    app = make_app(project, [])
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "/quit")
        assert not app.is_running or app._exit_renderables is not None or app.return_code is not None


async def test_command_palette_runs_slash_commands(project):
    app = make_app(project, [])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press(*"tier simple")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.tier_override == "simple", what="the palette command")
        assert app.status.text("tier") == "tier simple"


async def test_input_history_steps_back_and_is_kept_per_project(project):
    app = make_app(project, ["a", "b"])
    async with app.run_test(size=(100, 30)) as pilot:
        for text in ("first line", "second line"):
            await submit(pilot, text)
            await wait_idle(pilot, app)
        prompt = app.query_one("#prompt")
        prompt.value = "draft"
        await pilot.press("up")
        assert prompt.value == "second line"
        await pilot.press("up", "up")
        assert prompt.value == "first line"
        await pilot.press("down", "down")
        assert prompt.value == "draft"
    assert (project / HISTORY_FILE).read_text().splitlines() == ['"first line"', '"second line"']
    again = make_app(project, [])
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.press("up")
        assert again.query_one("#prompt").value == "second line"
