"""The whole agent on the real embedded model, in a real git repo from the task suite.

The base 135M model almost never writes a tool call on its own, so the tier uses the ``force_first`` grammar:
its first model call must be a schema-valid call to one of the tier's (read-only) tools. What is checked
is the
machinery, end to end on real parts: grammar-constrained decoding, validation, permissions, execution, feeding
the result back, a second model call, the model log linking them, and the session store.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from entropi.agent.permissions import HeadlessApprover
from entropi.agent.session import AgentSession
from entropi.agent.session_store import SESSIONS_FILE, SessionStore
from entropi.config import known_tools, load_config
from entropi.inference.runtime import Runtime
from entropi.modellog import ModelCallRecord, ToolResultRecord, iter_log
from entropi.tasks import load_tasks

READ_ONLY = ["filesystem.read_file", "filesystem.list_directory", "filesystem.glob", "filesystem.grep"]


def test_multi_step_turn_on_the_real_model_in_a_real_repo(tmp_path: Path):
    task = next(t for t in load_tasks() if t.id == "explain_slugify")
    repo = task.materialize(tmp_path / "repo")
    (repo / ".entropi").mkdir()
    (repo / ".entropi" / "config.yaml").write_text(
        yaml.safe_dump(
            {
                "router": {"enabled": False},
                "model": {"n_ctx": 2048},
                "tiers": {
                    "normal": {
                        "tools": READ_ONLY,
                        "grammar": "force_first",
                        "sampling": {"temperature": 0.0, "max_tokens": 96},
                    }
                },
                "agent": {"max_iterations": 3},
            }
        )
    )
    config = load_config(repo, env={}, home=tmp_path / "home")
    with Runtime(config, project_root=repo, with_router=False) as runtime:
        session = AgentSession(config, repo, runtime, approver=HeadlessApprover(False))
        outcome = session.ask(task.prompt, tier="normal")
        session.close()

    assert len(outcome.model_calls) >= 2, "a tool call must lead to a second model call"
    first = outcome.tool_calls[0]
    assert first["name"] in READ_ONLY and first["error_code"] != "schema_violation"
    assert first["status"] in ("ok", "error") and first["content"]
    records = list(iter_log(repo / ".entropi" / "session_model.log"))
    calls = [r for r in records if isinstance(r, ModelCallRecord)]
    results = [r for r in records if isinstance(r, ToolResultRecord)]
    assert calls[0].parsed.tool_calls and calls[0].parsed.tool_calls[0].name == first["name"]
    assert results[0].call_record_id == calls[0].record_id
    assert calls[1].messages[-1]["role"] in ("tool", "user")  # the result went back to the model
    assert all(t["function"]["name"] in READ_ONLY for t in [{"function": s} for s in calls[0].tools])
    assert {s["name"] for s in calls[0].tools} == set(READ_ONLY) <= set(known_tools())
    store = SessionStore(repo / SESSIONS_FILE)
    assert len(store.messages(session.session_id)) >= 3
    store.close()
