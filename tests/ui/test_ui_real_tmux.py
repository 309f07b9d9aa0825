"""The real app on the embedded model in a real terminal: tmux runs ``python -m entropi tui``, the test types
a question, reads the screen, and sees the answer appear while the model works, the tier badge with the
router's scores and adapter, the decode speed, and a clean exit on Ctrl+Q. See tests/ui/README.md."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from entropi.config import TIERS
from entropi.modellog import ModelCallRecord, iter_log

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]
COLS, ROWS = 120, 40


class Tmux:
    """One tmux server on a private socket (it inherits ``env``), so no user session is touched."""

    def __init__(self, env: dict[str, str], exit_file: Path) -> None:
        self.socket = f"entropi-test-{uuid.uuid4().hex[:8]}"
        self.env = env
        self.exit_file = exit_file  # written when the app exits: stop waiting then

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30, env=self.env
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "entropi")

    def screens_until(self, predicate, timeout: float, what: str) -> list[str]:
        """Every screen captured (about 20 a second) up to the first one that satisfies ``predicate``."""
        screens: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screens.append(self.screen())
            if predicate(screens[-1]):
                return screens
            if self.exit_file.exists():
                raise AssertionError(f"entropi exited while waiting for {what}:\n{screens[-1]}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.screen()}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


def answer_area(screen: str) -> str:
    """The chat text under the tier badge (whose first line names the adapter) and above the prompt box."""
    lines = screen.splitlines()
    start = next((i for i, line in enumerate(lines) if "adapter " in line), None)
    if start is None:
        return ""
    end = next((i for i in range(start, len(lines)) if lines[i].lstrip().startswith("▊▔")), len(lines))
    body = [line.strip() for line in lines[start + 1 : end]]
    return "\n".join(line for line in body if line and "router " not in line)


def _project(root: Path) -> None:
    """Greedy, no tools (a plain answer), enough tokens that the answer streams for a while."""
    tier = {"tools": [], "sampling": {"temperature": 0.0, "max_tokens": 96}, "thinking": False}
    config = {"tiers": {name: tier for name in TIERS}, "router": {"enabled": True}, "model": {"n_ctx": 2048}}
    (root / ".entropi").mkdir(parents=True)
    (root / ".entropi" / "config.yaml").write_text(yaml.safe_dump(config))


def test_real_model_streams_an_answer_with_a_tier_badge(tmp_path: Path):
    root = tmp_path / "proj"
    _project(root)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("ENTROPI_") and k not in ("COLUMNS", "LINES")
    }
    env.update(HOME=str(tmp_path / "home"), ENTROPI_CACHE_DIR=str(tmp_path / "cache"), TERM="xterm-256color")
    exit_file = tmp_path / "exit_code"
    command = f"{sys.executable} -m entropi --project {root} tui --threads 1; echo $? > {exit_file}; sleep 30"
    tmux = Tmux(env, exit_file)
    try:
        tmux("new-session", "-d", "-s", "entropi", "-x", str(COLS), "-y", str(ROWS), command)
        tmux.screens_until(lambda s: "/help lists commands" in s, 90, "the app to open")
        tmux("send-keys", "-t", "entropi", "-l", "Write three sentences about the sea.")
        tmux("send-keys", "-t", "entropi", "Enter")
        tmux.screens_until(lambda s: "working…" in s, 30, "the turn to start")
        screens = tmux.screens_until(lambda s: "working…" not in s, 120, "the answer to finish")
        final = tmux.screens_until(lambda s: "tok/s" in s, 5, "the status line")[-1]
        seen_while_working = screens[:-1]
        records = [
            r for r in iter_log(root / ".entropi" / "session_model.log") if isinstance(r, ModelCallRecord)
        ]
        assert len(records) == 1 and records[0].parsed.content.strip(), records
        first_word = re.search(r"\w{3,}", records[0].parsed.content)
        assert first_word and first_word.group() in answer_area(final), f"no answer on the screen:\n{final}"
        # streamed: the answer was on screen, and growing, before the model finished
        sizes = [len(answer_area(screen)) for screen in seen_while_working]
        growing = sorted({n for n in sizes if 0 < n < len(answer_area(final))})
        assert len(growing) >= 2, f"the answer did not grow on screen while the model worked: {sizes}"
        tier = records[0].tier
        assert f" {tier} " in final and "adapter base" in final and "router " in final
        assert "tok/s" in final and "– tok/s" not in final and " ready " in final
        tmux("send-keys", "-t", "entropi", "C-q")
        deadline = time.monotonic() + 30
        while not exit_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert exit_file.read_text().strip() == "0"
        print(final)  # shown with -s: what the user saw
    finally:
        tmux.kill()
