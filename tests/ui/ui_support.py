"""Helpers for the UI tests: the app on a scripted model, a model that pauses mid-stream, waiting."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import yaml
from textual.pilot import Pilot

from entropi.agent.scripted import ScriptedModel
from entropi.config import load_config
from entropi.ui.app import EntropiApp

LOG = Path(".entropi") / "model.log"


def call(name: str, **arguments: Any) -> str:
    """A raw tool call as the model writes it."""
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


class GatedModel(ScriptedModel):
    """A scripted model that stops streaming after ``pause_after`` characters until ``gate`` is set."""

    def __init__(self, *args: Any, pause_after: int = 14, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pause_after = pause_after
        self.paused = threading.Event()
        self.gate = threading.Event()

    def turn(self, tier, messages, *, on_text=None, **kwargs):  # type: ignore[override]
        seen = 0

        def tap(piece: str) -> None:
            nonlocal seen
            if on_text is not None:
                on_text(piece)
            seen += len(piece)
            if seen >= self.pause_after and not self.gate.is_set():
                self.paused.set()
                self.gate.wait(10)

        return super().turn(tier, messages, on_text=tap, **kwargs)


def make_app(
    project: Path,
    outputs,
    *,
    config_extra: dict | None = None,
    model_cls: type[ScriptedModel] = ScriptedModel,
    resume: str | None = None,
    **model_kwargs: Any,
) -> EntropiApp:
    if config_extra:
        (project / ".entropi" / "config.yaml").write_text(yaml.safe_dump(config_extra))
    config = load_config(project, env={}, home=project / "home")
    model = model_cls(outputs, config=config, log_path=project / LOG, **model_kwargs)
    return EntropiApp(config, project, model, resume=resume)


async def wait_for(pilot: Pilot, condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Let the app run until ``condition()`` holds (fails the test after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def wait_idle(pilot: Pilot, app: EntropiApp, timeout: float = 10.0) -> None:
    await wait_for(pilot, lambda: not app.busy and not app.queue, timeout, "the turn to finish")
    await pilot.pause()


async def submit(pilot: Pilot, text: str) -> None:
    """Type ``text`` into the prompt and press Enter."""
    prompt = pilot.app.query_one("#prompt")
    prompt.value = text
    prompt.focus()
    await pilot.press("enter")
    await pilot.pause()


def notices(app: EntropiApp) -> list[str]:
    from entropi.ui.widgets.notice import Notice

    return [str(n.content) for n in app.query(Notice)]
