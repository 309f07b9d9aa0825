"""The chat view driven by the real agent on a scripted model: streaming, thinking, tool cards, todos,
tier badge, status bar, handoff, repair, failures, queueing and Esc interrupts."""

from __future__ import annotations

from ui_support import LOG, GatedModel, call, make_app, notices, submit, wait_for, wait_idle

from entropi.agent import events as ev
from entropi.modellog import ModelCallRecord, iter_log
from entropi.ui.messages import AgentEvent
from entropi.ui.widgets.answer import Answer
from entropi.ui.widgets.thinking import ThinkingBlock
from entropi.ui.widgets.tier_badge import TierBadge
from entropi.ui.widgets.todo_panel import TodoPanel
from entropi.ui.widgets.tool_card import ToolCard
from entropi.ui.widgets.turn_view import TurnView

TODOS = [
    {"id": "1", "content": "read app.py", "status": "completed"},
    {"id": "2", "content": "fix add()", "status": "in_progress"},
]


async def test_answer_is_streamed_then_rendered_whole_with_badge_and_context(project):
    app = make_app(project, ["Hello **there**, here is `code`."], model_cls=GatedModel, pause_after=10)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "hi")
        await wait_for(pilot, app.model.paused.is_set, what="the model to pause mid-stream")
        await pilot.pause(0.1)
        answer = app.query_one(Answer)
        partial = answer.text
        assert partial and "Hello **there**, here is `code`.".startswith(partial)
        assert len(partial) < len("Hello **there**, here is `code`.")
        assert app.busy and app.status.text("state") == "working…"
        app.model.gate.set()
        await wait_idle(pilot, app)
        assert answer.text == "Hello **there**, here is `code`."
        assert answer.source == "Hello **there**, here is `code`."  # the one full update at the end
        badge = app.query_one(TierBadge)
        assert badge.tiers == ["code"] and badge.adapter == "scripted"
        assert "router code 1.00" in badge.text and "adapter scripted" in badge.text
        assert app.status.used > 0 and "ctx" in app.status.text("context")
        assert app.status.text("state") == "ready"


async def test_thinking_tool_cards_and_todo_panel(project):
    outputs = [
        "<think>Plan first, then read the file.</think>\n"
        + call("entropi.todo_write", action="replace", items=TODOS),
        call("filesystem.read_file", path="app.py"),
        call("filesystem.read_file", path="missing.py"),
        "add() subtracts; it should add.",
    ]
    app = make_app(project, outputs)
    async with app.run_test(size=(110, 36)) as pilot:
        assert not app.query_one(TodoPanel).display
        await submit(pilot, "what is wrong with add?")
        await wait_idle(pilot, app)
        thinking = app.query_one(ThinkingBlock)
        assert thinking.text == "Plan first, then read the file." and thinking.collapsed
        assert thinking.title == "thought · 6 words"
        cards = app.query(ToolCard)
        names = ["entropi.todo_write", "filesystem.read_file", "filesystem.read_file"]
        assert [c.tool_name for c in cards] == names
        assert [c.status for c in cards] == ["ok", "ok", "error"]
        assert "return a - b" in cards[1].result_text and cards[1].collapsed
        assert "✓ ok" in cards[1].title and 'path="app.py"' in cards[1].title
        assert "✗" in cards[2].title and cards[2].has_class("error")
        cards[1].focus()  # expand a card (Tab to it, Enter) to see its result
        await pilot.pause()
        await pilot.press("enter")
        assert not cards[1].collapsed
        await pilot.click(cards[1].query_one(".expandable-title"))  # a click on its header folds it again
        assert cards[1].collapsed
        await pilot.press("space")
        assert not cards[1].collapsed
        panel = app.query_one(TodoPanel)
        assert panel.display and panel.todos == TODOS
        assert [str(lbl.content) for lbl in panel.children] == ["☑ read app.py", "◐ fix add()"]
        assert app.query_one(Answer).text == "add() subtracts; it should add."
        await pilot.press("ctrl+t")
        assert not thinking.collapsed and app.show_thinking
        await pilot.press("ctrl+t")
        assert thinking.collapsed


async def test_tool_card_shows_running_until_the_result_arrives(project):
    app = make_app(project, [])
    async with app.run_test(size=(100, 30)) as pilot:
        await app.show_turn("x")
        app.post_message(AgentEvent(ev.ToolCallStarted("c1", "bash.execute", {"command": "make test"})))
        await pilot.pause()
        card = app.query_one(ToolCard)
        assert card.status == "running" and card.has_class("running") and "running…" in card.title
        app.post_message(
            AgentEvent(ev.ToolCallFinished("c1", "bash.execute", "error", "boom", 1234.0, "exit_1"))
        )
        await pilot.pause()
        assert card.status == "error" and "✗ exit_1 · 1234 ms" in card.title and card.result_text == "boom"


async def test_status_bar_shows_decode_speed_and_context_from_model_calls(project):
    app = make_app(project, [])
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.status.text("speed") == "– tok/s"
        timings = {"prompt_tokens": 6000.0, "completion_tokens": 200.0, "decode_tok_s": 42.5, "swap_ms": 0.3}
        app.post_message(AgentEvent(ev.ModelCallFinished("code", 0, "eos", timings, None)))
        await pilot.pause()
        assert app.status.text("speed") == "42.5 tok/s"
        assert app.status.text("context").endswith("6.2k/8.2k")
        assert app.query_one("#status-context").has_class("ctx-warn")
        app.post_message(AgentEvent(ev.ContextCompacted(8000, 1200)))
        await pilot.pause()
        assert app.status.used == 1200 and not app.query_one("#status-context").has_class("ctx-warn")


async def test_handoff_updates_the_badge(project):
    outputs = [call("entropi.handoff", tier="thinking", reason="needs planning"), "Planned."]
    app = make_app(project, outputs)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "refactor everything")
        await wait_idle(pilot, app)
        badge = app.query_one(TierBadge)
        assert badge.tiers == ["code", "thinking"] and badge.text.startswith("code → thinking")
        assert any("handoff → thinking: needs planning" in n for n in notices(app))


async def test_repair_request_is_shown(project):
    outputs = ["<tool_call>{not json</tool_call>", "Sorry, here is the answer."]
    app = make_app(project, outputs)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "do it")
        await wait_idle(pilot, app)
        assert any(n.startswith("asked the model to repair its reply") for n in notices(app))
        assert app.query(Answer).last().text == "Sorry, here is the answer."


async def test_a_failing_turn_is_reported_and_the_app_stays_usable(project):
    app = make_app(project, ["first answer"])  # the second turn exhausts the script: the model raises
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "one")
        await wait_idle(pilot, app)
        await submit(pilot, "two")
        await wait_idle(pilot, app)
        assert any("the turn failed: ScriptExhausted" in n for n in notices(app))
        assert not app.busy and app.status.text("state") == "ready"


async def test_typing_while_the_model_works_queues_and_runs_in_order(project):
    app = make_app(project, ["first answer", "second answer"], model_cls=GatedModel, pause_after=5)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "one")
        await wait_for(pilot, app.model.paused.is_set, what="the model to pause")
        await submit(pilot, "two")  # the UI still takes input while the worker is blocked
        assert app.queue == ["two"] and app.status.text("queue") == "1 queued"
        assert any(n == "queued: two" for n in notices(app))
        app.model.gate.set()
        await wait_idle(pilot, app)
        views = list(app.query(TurnView))
        assert [v.user.text for v in views] == ["one", "two"]
        assert [a.text for a in app.query(Answer)] == ["first answer", "second answer"]
        assert not app.query_one("#status-queue").display


async def test_escape_interrupts_keeps_the_partial_and_returns_queued_lines(project):
    app = make_app(project, ["A long answer that will be cut."], model_cls=GatedModel, pause_after=8)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "explain")
        await wait_for(pilot, app.model.paused.is_set, what="the model to pause")
        await submit(pilot, "and then this")
        await pilot.press("escape")
        assert app.status.text("state") == "interrupting…"
        assert app.queue == [] and app.query_one("#prompt").value == "and then this"
        app.model.gate.set()
        await wait_idle(pilot, app)
        view = app.query_one(TurnView)
        assert view.stop_reason == "cancelled"
        partial = app.query_one(Answer).text
        assert partial == "A long answer"  # the pieces streamed before Esc, nothing after
        assert any(n.startswith("interrupted") for n in notices(app))
        conv = app.session.conversation.messages()
        assert conv[-1]["role"] == "assistant" and conv[-1]["content"] == partial
        records = [r for r in iter_log(project / LOG) if isinstance(r, ModelCallRecord)]
        assert records[-1].stop_reason == "cancelled" and records[-1].raw_output.strip() == partial
        assert len(app.query(TurnView)) == 1  # the queued line was not sent


async def test_escape_when_idle_does_nothing(project):
    app = make_app(project, [])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("escape")
        assert not app.busy and app.status.text("state") == "ready"
