"""The pipeline on a tiny Qwen3 (an HF base pinned to its GGUF): runtime hot-swap, resume, DPO alone, CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

pytest.importorskip("transformers")  # the whole module needs the `train` extra
from rich.console import Console
from train_support import promote_without_gate
from transformers import TrainerCallback

from entropi.config import load_config
from entropi.inference.filehash import file_sha256
from entropi.inference.runtime import Runtime
from entropi.training.cli import main
from entropi.training.config import load_finetune_config

MESSAGES = [{"role": "user", "content": "Show me mathutil.py"}]


def _settings(tiny_qwen3, data: Path, out: Path, **extra: Any) -> dict[str, Any]:
    return {
        "tier": "code",
        "data": str(data),
        "out": str(out),
        "base": str(tiny_qwen3.hf_dir),
        "base_gguf": str(tiny_qwen3.gguf),
        "lora": {"rank": 4, "alpha": 8},
        "sft": {"max_steps": 2, "batch_size": 2, "learning_rate": 5e-2, "warmup_ratio": 0, "eval_steps": 100},
        "dpo": {"max_steps": 2, "batch_size": 1, "learning_rate": 1e-2, "warmup_ratio": 0, "eval_steps": 1},
        **extra,
    }


def _project(root: Path, gguf: Path, lora: Path | None = None) -> Any:
    """All tiers alike (prompt, tools, greedy) except that `code` may carry the adapter."""
    (root / ".entropi").mkdir(parents=True, exist_ok=True)
    (root / ".entropi" / "prompt.md").write_text("You are entropi.")
    sampling = {"temperature": 0, "max_tokens": 8}
    tier = {"system_prompt": "prompt.md", "tools": ["filesystem.read_file"], "sampling": sampling}
    tiers = {name: dict(tier) for name in ("thinking", "normal", "code", "simple")}
    if lora is not None:
        tiers["code"]["lora_path"] = str(lora)
    data = {"model": {"path": str(gguf), "n_ctx": 1024}, "router": {"enabled": False}, "tiers": tiers}
    (root / ".entropi" / "config.yaml").write_text(yaml.safe_dump(data))
    return load_config(root, env={}, home=root / "home")


def _fine_tune(settings: dict[str, Any], root: Path, **kw: Any) -> Any:
    from entropi.training.pipeline import fine_tune

    kw.setdefault("console", Console(quiet=True))
    kw.setdefault("gate", promote_without_gate)
    project = load_config(root, env={}, home=root / "home")
    return fine_tune(load_finetune_config(None, settings), project_root=root, entropi_config=project, **kw)


def test_hf_base_trains_pinned_to_its_gguf_and_the_runtime_hot_swaps_it(
    tiny_qwen3, code_data, tmp_path: Path
):
    settings = _settings(tiny_qwen3, code_data, tmp_path / "out", stages=["sft"])
    settings["sft"]["max_steps"] = 6  # enough for the adapter to change greedy output
    result = _fine_tune(settings, tmp_path)
    base = result.manifest["base_model"]
    assert (base["kind"], base["arch"], base["sha256"]) == ("hf", "qwen3", file_sha256(tiny_qwen3.gguf))
    assert result.manifest["export"]["qk_permuted"] is False and result.manifest["training"]["stages"] == [
        "sft"
    ]

    config = _project(tmp_path / "project", tiny_qwen3.gguf, lora=result.folder)
    with Runtime(config, project_root=tmp_path / "project", with_router=False) as runtime:
        assert runtime.arch == "qwen3" and runtime.warnings == []
        status = runtime.adapters.statuses["code"]
        assert status.loaded and status.version == "v0001"
        adapted = runtime.turn("code", MESSAGES)
        plain = runtime.turn("simple", MESSAGES)  # same prompt, no adapter
        again = runtime.turn("code", MESSAGES)
    assert adapted.tokens != plain.tokens, "the adapter changes the output"
    assert again.tokens == adapted.tokens, "swapping back reproduces the adapter's output"


class Interrupt(TrainerCallback):
    """Ctrl-C during DPO step 2 (after DPO's checkpoint-1 was written)."""

    def on_step_end(self, args, state, control, **kwargs):
        if args.output_dir.endswith("dpo") and state.global_step == 2:
            raise KeyboardInterrupt


def test_resume_skips_finished_stages_and_continues_from_the_last_checkpoint(tiny_qwen3, code_data, tmp_path):
    settings = _settings(tiny_qwen3, code_data, tmp_path / "out")
    with pytest.raises(KeyboardInterrupt):
        _fine_tune(settings, tmp_path, callbacks=[Interrupt()])
    work = tmp_path / "out" / "code" / ".runs" / "v0001"
    assert (work / "stages" / "sft.json").is_file() and (
        work / "checkpoints" / "dpo" / "checkpoint-1"
    ).is_dir()
    first_sft = json.loads((work / "stages" / "sft.json").read_text())["metrics"]

    out = io.StringIO()
    result = _fine_tune({**settings, "resume": True}, tmp_path, console=Console(file=out, width=200))
    assert result.version == "v0001" and not work.exists()
    assert "sft: finished before the resume, skipped" in out.getvalue()
    metrics = result.manifest["metrics"]["training"]
    assert metrics["sft"] == first_sft
    assert metrics["dpo"]["resumed_from"] == "checkpoint-1" and metrics["dpo"]["steps"] == 2


def test_dpo_alone_continues_from_the_current_adapter(tiny_qwen3, code_data, tmp_path: Path):
    first = _fine_tune(
        _settings(tiny_qwen3, code_data, tmp_path / "out", stages=["sft"], promote=True), tmp_path
    )
    out = io.StringIO()
    settings = _settings(tiny_qwen3, code_data, tmp_path / "out", stages=["dpo"], lora={"rank": 16})
    second = _fine_tune(settings, tmp_path, console=Console(file=out, width=200))
    assert "DPO starts from the current code adapter (v0001)" in out.getvalue()
    assert second.version == "v0002" and first.manifest["rank"] == 4
    assert second.manifest["rank"] == 4, "the adapter continued is the current one, whatever lora.rank says"


def test_empty_default_stage_is_skipped_but_an_explicit_one_is_an_error(
    tiny_qwen3, code_data, tmp_path: Path
):
    from entropi.training.datasets import DatasetError

    data = tmp_path / "data"
    (data / "code").mkdir(parents=True)
    for name in ("sft_train", "sft_eval"):
        (data / "code" / f"{name}.jsonl").write_text((code_data / "code" / f"{name}.jsonl").read_text())
    for name in ("dpo_train", "dpo_eval"):
        (data / "code" / f"{name}.jsonl").write_text("")
    settings = _settings(tiny_qwen3, data, tmp_path / "out")
    settings["sft"]["max_steps"] = 1
    result = _fine_tune(settings, tmp_path)
    assert result.manifest["training"]["stages"] == ["sft"]
    with pytest.raises(DatasetError, match=r"no training rows for stage\(s\) dpo"):
        _fine_tune({**settings, "stages": ["sft", "dpo"]}, tmp_path)


def _argv(tiny_qwen3, data: Path, root: Path) -> list[str]:
    out = str(root / "out")
    return [
        "--tier",
        "code",
        "--data",
        str(data),
        "--base",
        str(tiny_qwen3.hf_dir),
        "--out",
        out,
        "--project",
        str(root),
    ]


def test_the_script_trains_registers_and_prints_the_version_dir(
    tiny_qwen3, code_data, tmp_path, capsys, monkeypatch
):
    from entropi.evaluation import promotion

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    verdicts = iter([False, True])  # --promote goes through the gate: refused, then accepted
    gated: list[tuple[str, str]] = []

    def fake_gate(config, project_root, out_root, tier, version, **kw):
        gated.append((tier, version))
        accepted = next(verdicts)
        if accepted:
            promotion.registry.promote(out_root, tier, version)
        return SimpleNamespace(promoted=accepted, decision=SimpleNamespace(checks=[], reason=lambda: "fake"))

    monkeypatch.setattr(promotion, "promote_through_gate", fake_gate)
    config = tmp_path / "train.yaml"
    config.write_text(
        yaml.safe_dump(
            {"base_gguf": str(tiny_qwen3.gguf), "lora": {"rank": 4, "alpha": 8}, "baseline": False}
        )
    )
    argv = [*_argv(tiny_qwen3, code_data, tmp_path), "--config", str(config), "--stages", "sft"]
    argv += ["--max-steps", "1", "--promote"]
    assert main(argv) == 1, "refused by the gate: registered, not current, exit 1"
    assert not (tmp_path / "out" / "code" / "current").exists()
    assert main(argv) == 0
    folder = tmp_path / "out" / "code" / "v0002"
    assert capsys.readouterr().out.split() == [str(tmp_path / "out" / "code" / "v0001"), str(folder)]
    assert gated == [("code", "v0001"), ("code", "v0002")]
    assert (tmp_path / "out" / "code" / "current").resolve() == folder
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["metrics"]["training"]["sft"]["steps"] == 1 and manifest["rank"] == 4


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--stages", "sft,ppo"], "--stages 'sft,ppo': use a comma-separated subset of sft, dpo"),
        (["--max-steps", "0"], "--max-steps must be at least 1"),
        (["--data", "/nonexistent/data"], "no datasets for tier 'code'"),
        (["--backend", "unsloth"], "the unsloth backend needs a CUDA GPU"),
        (["--resume"], "no unfinished run for tier 'code'"),
        (["--config", "BAD"], "lr (BAD): Extra inputs are not permitted"),
        (["--base", "/nonexistent/model.gguf"], "no such model file"),
    ],
    ids=["stages", "max-steps", "data", "unsloth", "resume", "config-key", "base"],
)
def test_the_script_reports_bad_input_in_one_line(
    tiny_qwen3, code_data, tmp_path, capsys, monkeypatch, extra, message
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("lr: 0.1\n")
    extra = [str(bad) if a == "BAD" else a for a in extra]
    argv = [*_argv(tiny_qwen3, code_data, tmp_path), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message.replace("BAD", str(bad)) in " ".join(err.split())
    assert "Traceback" not in err


def test_two_cpu_processes_under_torchrun_register_one_version(tiny_qwen3, code_data, tmp_path: Path):
    """The trl backend unchanged in two gloo processes (torchrun): both train, the main one registers."""
    repo = Path(__file__).resolve().parents[2]
    config = tmp_path / "train.yaml"
    config.write_text(
        yaml.safe_dump(
            {"base_gguf": str(tiny_qwen3.gguf), "lora": {"rank": 4, "alpha": 8}, "baseline": False}
        )
    )
    launch = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    script = [str(repo / "scripts" / "fine_tune.py"), *_argv(tiny_qwen3, code_data, tmp_path)]
    script += ["--config", str(config), "--max-steps", "2"]
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PYTHONPATH": str(repo / "src")}
    done = subprocess.run([*launch, *script], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = tmp_path / "out" / "code" / "v0001"
    assert done.stdout.strip().splitlines()[-1] == str(folder)
    assert sorted(p.name for p in (tmp_path / "out" / "code").iterdir()) == [".runs", "v0001"]
    assert list((tmp_path / "out" / "code" / ".runs").iterdir()) == []
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["training"]["processes"] == 2 and manifest["metrics"]["training"]["dpo"]["steps"] == 2
