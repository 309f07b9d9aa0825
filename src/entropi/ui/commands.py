"""Slash commands (typed in the prompt or picked in the command palette) and what each one does.

Every command is one entry in ``COMMANDS`` and one small handler; ``run`` refuses commands that would
disturb a running turn. Non-goals: the app's layout and the agent's work (handlers call the app's methods).
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.command import DiscoveryHit, Hit, Hits, Provider

from entropi.agent.session_store import SessionStoreError
from entropi.config import TIERS
from entropi.ui.model_info import adapter_rows, model_lines
from entropi.ui.screens.sessions import SessionsScreen

if TYPE_CHECKING:
    from entropi.ui.app import EntropiApp


class SlashError(ValueError):
    """A slash command that cannot run: unknown, bad argument, or not now."""


@dataclass(frozen=True)
class SlashCommand:
    name: str
    usage: str
    help: str
    while_busy: bool


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand("help", "/help", "list commands and keys", True),
    SlashCommand("tier", "/tier auto|" + "|".join(TIERS), "route automatically or fix the tier", True),
    SlashCommand("think", "/think [on|off]", "show or hide the model's reasoning (Ctrl+T)", True),
    SlashCommand("plan", "/plan [on|off]", "plan mode: tools that change things are refused (F2)", True),
    SlashCommand("clear", "/clear", "start a new session", False),
    SlashCommand("compact", "/compact", "summarise older turns to free context", False),
    SlashCommand("sessions", "/sessions", "pick a past session to resume", False),
    SlashCommand("resume", "/resume [ID]", "resume a session (default: the latest other one)", False),
    SlashCommand("good", "/good [why]", "mark the last turn good (an outcome signal)", True),
    SlashCommand("bad", "/bad [why]", "mark the last turn bad (an outcome signal)", True),
    SlashCommand("adapters", "/adapters", "per tier: adapter, version, metrics, loaded state", True),
    SlashCommand("model", "/model", "the base model in use", True),
    SlashCommand("quit", "/quit", "leave entropi", True),
)
BY_NAME = {c.name: c for c in COMMANDS}
KEYS = (
    ("Enter", "send (queued while the model works)"),
    ("Esc", "interrupt the answer; queued lines come back to the prompt"),
    ("Up / Down", "input history"),
    ("Ctrl+T", "show / hide all thinking"),
    ("F2", "plan mode on / off"),
    ("Ctrl+P", "command palette"),
    ("Ctrl+Q", "quit"),
)


def parse(text: str) -> tuple[SlashCommand, str]:
    """``/name arg…`` → (command, argument text); SlashError naming the closest command otherwise."""
    name, _, arg = text.strip().removeprefix("/").partition(" ")
    command = BY_NAME.get(name.lower())
    if command is None:
        close = difflib.get_close_matches(name.lower(), BY_NAME, n=1)
        hint = f" (did you mean /{close[0]}?)" if close else ""
        raise SlashError(
            f"unknown command /{name}{hint}; /help lists them. To send a message that starts with '/', "
            f"begin it with '//'."
        )
    return command, arg.strip()


def palette_entries() -> list[tuple[str, str]]:
    """(text to run, help) for the command palette: each command, and each /tier choice."""
    entries = []
    for command in COMMANDS:
        if command.name == "tier":
            entries += [(f"/tier {t}", f"tier: {t}") for t in ("auto", *TIERS)]
        else:
            entries.append((f"/{command.name}", command.help))
    return entries


def suggestions() -> list[str]:
    """Completions the prompt offers while a slash command is typed."""
    return [text for text, _ in palette_entries()]


async def run(app: EntropiApp, text: str) -> None:
    """Run one slash command line; problems become an error line in the chat."""
    try:
        command, arg = parse(text)
        if app.busy and not command.while_busy:
            raise SlashError(f"/{command.name} waits until the model is done (Esc interrupts it)")
        await HANDLERS[command.name](app, arg)
    except SlashError as exc:
        await app.notice(str(exc), "error")


def _on_off(arg: str, current: bool, usage: str) -> bool:
    if not arg:
        return not current
    if arg.lower() in ("on", "off"):
        return arg.lower() == "on"
    raise SlashError(f"usage: {usage}")


async def _help(app: EntropiApp, _arg: str) -> None:
    table = Table(box=None, show_header=False, padding=(0, 2))
    for usage, what in [*((c.usage, c.help) for c in COMMANDS), *KEYS]:
        table.add_row(Text(usage), Text(what))  # Text: "[on|off]" is not markup
    await app.notice(table)


async def _tier(app: EntropiApp, arg: str) -> None:
    choice = arg.lower() or "auto"
    if choice != "auto" and choice not in TIERS:
        raise SlashError(f"unknown tier {arg!r}; usage: {BY_NAME['tier'].usage}")
    app.set_tier(None if choice == "auto" else choice)
    await app.notice(f"tier: {choice}" + (" (the router decides)" if choice == "auto" else ""))


async def _think(app: EntropiApp, arg: str) -> None:
    app.set_thinking(_on_off(arg, app.show_thinking, BY_NAME["think"].usage))
    await app.notice(f"thinking {'shown' if app.show_thinking else 'hidden'}")


async def _plan(app: EntropiApp, arg: str) -> None:
    app.set_plan(_on_off(arg, app.plan_mode, BY_NAME["plan"].usage))
    await app.notice("plan mode on: read-only" if app.plan_mode else "plan mode off")


async def _clear(app: EntropiApp, _arg: str) -> None:
    await app.new_session()


async def _compact(app: EntropiApp, _arg: str) -> None:
    session = app.session
    if session is None or not session.conversation.entries:
        raise SlashError("nothing to compact yet")
    before = app.context_tokens()
    changed = session.deps.context.compact(session.conversation, session.turn_index)
    after = app.context_tokens()
    app.status.set_context(after)
    if not changed:
        await app.notice(f"nothing old enough to compact ({before} tokens in use)")
        return
    await app.notice(f"compacted: {before} → {after} tokens")


async def _sessions(app: EntropiApp, _arg: str) -> None:
    try:
        sessions = app.sessions.list()
    except SessionStoreError as exc:
        raise SlashError(str(exc)) from None

    def chosen(session_id: str | None) -> None:
        if session_id:
            app.call_later(app.resume, session_id)

    app.push_screen(SessionsScreen(sessions, app.session_id), chosen)


async def _resume(app: EntropiApp, arg: str) -> None:
    target = arg
    if not target:
        try:
            others = [s for s in app.sessions.list() if s.id != app.session_id and s.message_count]
        except SessionStoreError as exc:
            raise SlashError(str(exc)) from None
        if not others:
            raise SlashError("there is no other session to resume")
        target = others[0].id
    await app.resume(target)


async def _feedback(signal: str, app: EntropiApp, arg: str) -> None:
    session = app.session
    if session is None or session.turn_index == 0:
        raise SlashError(f"no turn to mark {signal} yet")
    try:
        session.feedback(signal, arg or None)
    except (SessionStoreError, OSError) as exc:
        raise SlashError(f"feedback not recorded: {exc}") from None
    await app.notice(f"recorded {signal} for turn {session.turn_index - 1}" + (f": {arg}" if arg else ""))


async def _adapters(app: EntropiApp, _arg: str) -> None:
    table = Table(box=None, padding=(0, 2))
    for col in ("tier", "adapter", "version", "state", "metrics"):
        table.add_column(col)
    for row in adapter_rows(app.model):
        table.add_row(*(Text(cell) for cell in (row.tier, row.label, row.version, row.state, row.metrics)))
    await app.notice(table)


async def _model(app: EntropiApp, _arg: str) -> None:
    await app.notice("\n".join(model_lines(app.model)))


async def _quit(app: EntropiApp, _arg: str) -> None:
    await app.action_quit()


HANDLERS: dict[str, Callable[[EntropiApp, str], Awaitable[None]]] = {
    "help": _help,
    "tier": _tier,
    "think": _think,
    "plan": _plan,
    "clear": _clear,
    "compact": _compact,
    "sessions": _sessions,
    "resume": _resume,
    "good": partial(_feedback, "good"),
    "bad": partial(_feedback, "bad"),
    "adapters": _adapters,
    "model": _model,
    "quit": _quit,
}


class SlashCommandsProvider(Provider):
    """The slash commands in the command palette (Ctrl+P)."""

    def _runner(self, text: str) -> Callable[[], Awaitable[None]]:
        return partial(run, self.app, text)  # type: ignore[arg-type]

    async def discover(self) -> Hits:
        for text, help_text in palette_entries():
            yield DiscoveryHit(text, self._runner(text), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text in palette_entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), self._runner(text), text=text, help=help_text)
