"""The real ``entropi`` command in a subprocess: JSON output, routing, config errors, adapter warnings,
help without a TTY, model paths and prompts read from stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from entropi.config import TIERS
from entropi.modellog import ModelCallRecord, iter_log


def run_cli(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m entropi`` in ``cwd`` with a private home and hash cache, no TTY on stdin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENTROPI_") and k != "COLUMNS"}
    env["ENTROPI_CACHE_DIR"] = str(cwd / ".cache")
    env["HOME"] = str(cwd / "home")
    return subprocess.run(
        [sys.executable, "-m", "entropi", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ask(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``entropi ask`` limited to one model call (the agent would otherwise repair or call tools)."""
    return run_cli(cwd, "ask", "--max-iterations", "1", *args, stdin=stdin)


def _model_calls(root: Path) -> list[ModelCallRecord]:
    return [r for r in iter_log(root / ".entropi" / "session_model.log") if isinstance(r, ModelCallRecord)]


def test_ask_json_prints_one_transcript_object(project, tmp_path: Path):
    project()
    proc = ask(tmp_path, "--tier", "simple", "--json", "--max-tokens", "8", "hi")
    assert proc.returncode in (0, 1), proc.stderr  # 1: the turn ended without a plain answer
    assert proc.stdout.endswith("\n") and proc.stdout.count("\n") == 1, "exactly one line of JSON"
    out = json.loads(proc.stdout)
    assert {"session_id", "answer", "stop_reason", "tier", "turns", "wall_ms"} <= set(out)
    assert out["tier"] == "simple" and out["turns"][0]["routing"]["overridden"] is True
    first = out["turns"][0]["model_calls"][0]
    assert first["timings"]["completion_tokens"] <= 8 and first["stop_reason"] in ("eos", "max_tokens")
    records = _model_calls(tmp_path)
    assert records[0].record_id == first["record_id"] and records[0].session_id == out["session_id"]


def test_route_json_gives_a_tier_and_four_scores(project, tmp_path: Path):
    project(router=True)
    proc = run_cli(tmp_path, "route", "--json", "fix the bug")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["tier"] in TIERS and set(out["scores"]) == set(TIERS)
    assert sum(out["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    assert out["overridden"] is False and out["input_tokens"] > 0


def test_route_with_the_router_disabled_is_a_clear_error(project, tmp_path: Path):
    project(router=False)
    proc = run_cli(tmp_path, "route", "fix the bug")
    assert proc.returncode == 2
    assert "routing is disabled" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "text,expected",
    [
        ('model: {n_ctx: "big"}\n', "model.n_ctx"),
        ("model: [\n", "YAML syntax error"),
        ("- just\n- a list\n", "top level must be a mapping"),
    ],
    ids=["bad-value", "bad-yaml", "not-a-mapping"],
)
def test_broken_project_config_exits_2_naming_the_file_and_key(tmp_path: Path, text: str, expected: str):
    config = tmp_path / ".entropi" / "config.yaml"
    config.parent.mkdir()
    config.write_text(text)
    proc = run_cli(tmp_path, "ask", "--tier", "simple", "hi")
    assert proc.returncode == 2
    assert str(config) in proc.stderr and expected in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_unusable_adapter_is_a_warning_and_the_turn_runs_on_the_base(project, tmp_path: Path):
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"not a gguf file\n" * 8)
    project({"code": {"lora_path": str(garbage)}})
    proc = ask(tmp_path, "--tier", "code", "--max-tokens", "4", "hi")
    assert proc.returncode == 0, proc.stderr
    assert "warning: tier code" in proc.stderr
    assert garbage.name in proc.stderr[proc.stderr.index("warning: tier code") :]
    assert proc.stdout.strip(), "the answer is still printed"
    [record] = _model_calls(tmp_path)
    assert record.tier == "code" and record.adapter is None


def test_adapter_warning_names_a_file_with_brackets_verbatim(project, tmp_path: Path):
    garbage = tmp_path / "adapter[v2].gguf"
    garbage.write_bytes(b"not a gguf file\n" * 8)
    project({"simple": {"lora_path": str(garbage)}})
    proc = ask(tmp_path, "--tier", "simple", "--max-tokens", "2", "hi")
    assert proc.returncode == 0, proc.stderr
    assert garbage.name in proc.stderr[proc.stderr.index("warning: tier simple") :]


def test_no_command_without_a_tty_prints_usage(tmp_path: Path):
    (tmp_path / ".entropi").mkdir()
    proc = run_cli(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: entropi")
    for command in ("chat", "ask", "route", "models"):
        assert command in proc.stdout


def test_models_path_embedded_prints_an_existing_gguf(tmp_path: Path, base_path: Path):
    (tmp_path / ".entropi").mkdir()
    proc = run_cli(tmp_path, "models", "path", "embedded")
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    assert path.suffix == ".gguf" and path.is_file() and path == base_path


def test_ask_dash_reads_the_prompt_from_stdin(project, tmp_path: Path):
    project()
    prompt = "What is 2 + 2?\nAnswer with one number."
    proc = ask(tmp_path, "--tier", "normal", "--max-tokens", "3", "-", stdin=prompt)
    assert proc.returncode == 0, proc.stderr
    [record] = _model_calls(tmp_path)
    assert record.messages[-1] == {"role": "user", "content": prompt}
    assert record.tier == "normal" and record.timings["completion_tokens"] <= 3
