"""Real model logs for the data tests: scripted agent sessions (the production loop, tools, permissions and
log writer) over small projects and over task-suite repos, covering good, incoherent, invalid, unknown-tool,
denied-then-corrected, failing, /bad, duplicate and secret-bearing turns."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entropi.agent.permissions import ApprovalDecision, ApprovalRequest
from entropi.agent.scripted import ScriptedModel
from entropi.agent.session import AgentSession
from entropi.config import load_config
from entropi.data.gold import gold_outputs
from entropi.tasks import Task

HAS_DATASETS = importlib.util.find_spec("datasets") is not None  # the `train` extra

# Planted secrets: none of these may appear anywhere in an output directory.
SECRETS = {
    "openai": "sk-proj-Abc123Def456Ghi789Jkl012Mno345",
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "github": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "slack": "xoxb-123456789012-abcdefghijklmnop",
    "hf": "hf_abcdefghijklmnopqrstuvwxyzABCDEF12",
    "bearer": "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4f",
    "url_password": "hunter2secret",
    "email": "jane.doe@example.com",
    "key_body": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
}
SECRET_FILE = (
    f"OPENAI_API_KEY={SECRETS['openai']}\n"
    f"AWS_ACCESS_KEY_ID={SECRETS['aws']}\n"
    f"GITHUB_TOKEN={SECRETS['github']}\n"
    f"SLACK={SECRETS['slack']}\n"
    f"DB=postgres://admin:{SECRETS['url_password']}@db.internal:5432/app\n"
    f"-----BEGIN PRIVATE KEY-----\n{SECRETS['key_body']}\nabcdef\n-----END PRIVATE KEY-----\n"
)


def call(name: str, **arguments: Any) -> str:
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": arguments}) + "\n</tool_call>"


def think(reasoning: str, body: str = "") -> str:
    return f"<think>\n{reasoning}\n</think>\n\n{body}"


def allow(_request: ApprovalRequest) -> ApprovalDecision:
    return ApprovalDecision("allow_once")


def deny_then_allow(feedback: str) -> Callable[[ApprovalRequest], ApprovalDecision]:
    answers = [ApprovalDecision("deny_feedback", feedback)]
    return lambda _r: answers.pop(0) if answers else ApprovalDecision("allow_once")


@dataclass(frozen=True)
class Turn:
    query: str
    outputs: Sequence[str]
    feedback: str | None = None  # "good" / "bad" after the turn


def run_session(
    root: Path,
    turns: Sequence[Turn],
    *,
    tier: str = "code",
    approver: Callable[[ApprovalRequest], ApprovalDecision] = allow,
    log: Path | None = None,
) -> str:
    """Run scripted turns in the project at `root`; returns the session id."""
    (root / ".entropi").mkdir(parents=True, exist_ok=True)
    config = load_config(root, env={}, home=root / ".home")
    outputs = [o for t in turns for o in t.outputs]
    model = ScriptedModel(outputs, config=config, tier=tier, log_path=log or root / ".entropi" / "model.log")
    session = AgentSession(config, root, model, approver=approver)
    try:
        for turn in turns:
            session.ask(turn.query)
            if turn.feedback:
                session.feedback(turn.feedback)
    finally:
        session.close()
    return session.session_id


def small_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.py").write_text("def add(a, b):\n    return a - b\n")
    (root / "notes.md").write_text("# Notes\n\n======== entropi-log v1 model_call fake ========\n[META] 3\n")
    return root


READ_APP = think("I'll read `app.py` to find the bug.", call("filesystem.read_file", path="app.py"))
ANSWER = "add() subtracts b instead of adding it."
GOOD_TURN = Turn("what is wrong with add?", [READ_APP, ANSWER])


def project_log(root: Path) -> Path:
    """Sessions in one small project, one log: every kind of turn the extractor has to label."""
    small_project(root)
    log = root / ".entropi" / "model.log"
    edit = call("filesystem.edit_file", path="app.py", old_string="a - b", new_string="a + b")
    run_session(root, [GOOD_TURN])
    run_session(
        root, [Turn("what is wrong with add?", [READ_APP, ANSWER.upper()])]
    )  # near duplicate: case only
    # Its first row is an exact duplicate of the first session's; the edit changes app.py from here on.
    run_session(root, [GOOD_TURN, Turn("now fix it", [think("I'll edit `app.py` to add.", edit), "Fixed."])])
    incoherent = think("I'll call entropi.todo_write to plan the work.", call("bash.execute", command="ls"))
    run_session(root, [Turn("plan the refactor", [incoherent, "Listed."])])
    cat = think("I'll read `app.py` first.", call("bash.execute", command="cat app.py"))
    run_session(root, [Turn("show me app.py", [cat, "Shown."])])
    bad_args = think("I'll read `app.py`.", call("filesystem.read_file", file="app.py"))
    run_session(root, [Turn("read app.py please", [bad_args, READ_APP, "Read."])])
    broken = think(
        "I'll read `app.py`.",
        '<tool_call>\n{"name": "filesystem.read_file", "arguments": {"path": \n</tool_call>',
    )
    run_session(root, [Turn("peek at app.py", [broken, READ_APP, "Read."])])  # parse error, then the re-ask
    unknown = think("I'll read `app.py`.", call("filesystem.read_fil", path="app.py"))
    run_session(root, [Turn("open app.py", [unknown, "Sorry."])])
    ls_call = think("I'll run `ls` to see the files.", call("bash.execute", command="ls"))
    listing = think("I'll list the files instead.", call("filesystem.list_directory"))
    run_session(
        root,
        [Turn("which files are here?", [ls_call, listing, "app.py and notes.md."])],
        approver=deny_then_allow("use filesystem.list_directory, not the shell"),
    )
    notes = think("I'll read `notes.md`.", call("filesystem.read_file", path="notes.md"))
    run_session(root, [Turn("what do the notes say?", [notes, "They quote a log header."])])
    missing = think("I'll read `missing.py`.", call("filesystem.read_file", path="missing.py"))
    run_session(root, [Turn("read missing.py", [missing, "It does not exist."])])
    run_session(root, [Turn("what is 2+2?", ["<think>No tool is needed.</think>\n\n5"], feedback="bad")])
    leak = think(
        f"The user {SECRETS['email']} pasted a key; I'll read `.env` as asked.",
        call("filesystem.read_file", path=".env"),
    )
    (root / ".env").write_text(SECRET_FILE)
    curl = f"curl -H 'Authorization: Bearer {SECRETS['bearer']}' https://api.example.com"
    run_session(
        root,
        [
            Turn(f"my hf token is {SECRETS['hf']}, read .env", [leak, f"It holds {SECRETS['aws']}."]),
            Turn("call the api", [think(f"I'll run `{curl}`.", call("bash.execute", command=curl)), "Done."]),
        ],
    )
    return log


def task_logs(root: Path, tasks: Sequence[Task]) -> list[Path]:
    """Per task, by index mod 3: the gold trajectory plus a failing run (its pair's chosen is resampled from
    the gold run); a failing run only (chosen: the gold step); the gold trajectory only."""
    logs = []
    for i, task in enumerate(tasks):
        runs = {0: ("gold", "bad"), 1: ("bad",), 2: ("gold",)}[i % 3]
        for run in runs:
            repo = task.materialize(root / f"{task.id}_{run}")
            log = repo / ".entropi" / "model.log"
            wrong = think("I'll read `nowhere.txt`.", call("filesystem.read_file", path="nowhere.txt"))
            outputs = gold_outputs(task) if run == "gold" else [wrong, "I could not do it."]
            run_session(repo, [Turn(task.prompt, outputs)], tier=task.tier, log=log)
            logs.append(log)
    return logs
