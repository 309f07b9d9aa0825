"""End to end on the embedded model: SFT then DPO with the trl backend on CPU → a registered GGUF LoRA that
llama.cpp loads, the runtime picks up from `current`, and that makes the trained replies more likely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gguf_support import all_logits
from train_support import promote_without_gate

from entropi.config import load_config
from entropi.inference.filehash import file_sha256
from entropi.inference.llama_model import ContextParams, LlamaContext
from entropi.inference.model_store import embedded_model_path
from entropi.inference.runtime import Runtime
from entropi.training.base_model import resolve_base, training_formatter
from entropi.training.config import load_finetune_config
from entropi.training.datasets import load_tier_data
from entropi.training.render import TrainingRenderer

OVERRIDES = {
    "tier": "code",
    "promote": True,
    "lora": {"rank": 8, "alpha": 16},
    "sft": {"max_steps": 2, "batch_size": 2, "learning_rate": 2e-3, "warmup_ratio": 0, "eval_steps": 100},
    "dpo": {"max_steps": 1, "batch_size": 1, "learning_rate": 5e-5, "warmup_ratio": 0, "eval_steps": 100},
}
EXPORT = {"file": "adapter.gguf", "dtype": "f32", "tensors": 210, "qk_permuted": True, "gguf_alpha": 16.0}


@pytest.fixture(scope="module")
def run(train_stack, embedded_hf_dir, code_data, tmp_path_factory) -> tuple[Path, Any]:
    from rich.console import Console

    from entropi.training.pipeline import fine_tune

    root = tmp_path_factory.mktemp("project")
    paths = {"data": str(code_data), "out": str(root / "lora_adapters")}
    config = load_finetune_config(None, {**OVERRIDES, **paths})
    project = load_config(root, env={}, home=root / "home")
    console = Console(quiet=True)
    return root, fine_tune(
        config, project_root=root, entropi_config=project, console=console, gate=promote_without_gate
    )


def test_the_run_registers_a_complete_version(run, code_data):
    root, result = run
    folder = root / "lora_adapters" / "code" / "v0001"
    assert result.folder == folder and result.version == "v0001" and result.promoted
    names = {p.name for p in folder.iterdir()}
    assert {"adapter.gguf", "peft", "manifest.json", "report.md", "loss.png", "stages"} <= names
    assert "checkpoints" not in names and not (root / "lora_adapters" / "code" / ".runs" / "v0001").exists()
    assert (folder / "peft" / "adapter_model.safetensors").is_file()
    assert (root / "lora_adapters" / "code" / "current").resolve() == folder

    manifest = json.loads((folder / "manifest.json").read_text())
    base = manifest["base_model"]
    assert manifest == result.manifest
    assert base["sha256"] == file_sha256(embedded_model_path())
    assert (base["arch"], base["id"]) == ("llama", "SmolLM2-135M-Instruct-Q4_1")
    assert (manifest["tier"], manifest["version"], manifest["rank"], manifest["alpha"]) == (
        "code",
        "v0001",
        8,
        16,
    )
    assert len(manifest["target_modules"]) == 7
    data = load_tier_data(code_data, "code", ["sft", "dpo"])
    assert manifest["dataset"]["sha256"] == data.sha256() and manifest["dataset"]["counts"] == data.counts
    assert manifest["training"]["backend"] == "trl" and manifest["training"]["stages"] == ["sft", "dpo"]
    assert manifest["export"] == EXPORT
    sft, dpo = manifest["metrics"]["training"]["sft"], manifest["metrics"]["training"]["dpo"]
    assert sft["steps"] == 2 and dpo["steps"] == 1
    for metrics in (sft, dpo):
        assert metrics["eval_loss"] > 0 and metrics["tokens_per_s"] > 0 and metrics["train_loss"] > 0
    assert "eval_rewards/accuracies" in dpo
    assert manifest["code_revision"]
    print(f"SFT {sft['tokens_per_s']} tokens/s, eval loss {sft['eval_loss']:.3f}")
    print(f"DPO {dpo['tokens_per_s']} tokens/s, eval loss {dpo['eval_loss']:.3f}")


def test_the_report_shows_metrics_and_the_loss_curve(run):
    _, result = run
    report = (result.folder / "report.md").read_text()
    assert report.startswith("# code adapter v0001")
    assert "| sft | eval_loss |" in report and "| dpo | eval_loss |" in report
    assert "![loss curves](loss.png)" in report
    assert (result.folder / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _target_logprob(ctx: LlamaContext, example: dict[str, list[int]]) -> float:
    """Mean log-probability llama.cpp gives the trained (mask 1) tokens of one example."""
    ids, mask = example["input_ids"], example["assistant_masks"]
    logits = all_logits(ctx, ids).astype(np.float64)
    log_z = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
    picked = [logits[i - 1, ids[i]] - log_z[i - 1] for i in range(1, len(ids)) if mask[i]]
    return float(np.mean(picked))


def test_the_runtime_hot_swaps_current_and_it_makes_the_trained_replies_likelier(
    run, code_data, embedded_tokenizer
):
    root, _ = run
    overrides = {"model": {"n_ctx": 1024}, "tiers": {"code": {"sampling": {"max_tokens": 4}}}}
    config = load_config(root, env={}, home=root / "home", cli_overrides=overrides)
    with Runtime(config, project_root=root, with_router=False) as runtime:
        status = runtime.adapters.statuses["code"]
        assert status.loaded, status.error
        assert status.version == "v0001" and runtime.adapters.statuses["normal"].loaded is False
        base = resolve_base("embedded", project_root=root)
        renderer = TrainingRenderer(training_formatter(base, embedded_tokenizer), embedded_tokenizer)
        rows = load_tier_data(code_data, "code", ["sft"]).split("sft", "train")[:1]
        ctx = LlamaContext(runtime.model, ContextParams(n_ctx=1024))
        try:
            gains = []
            for row in rows:
                example = renderer.sft_example(row)
                ctx.set_adapters(*runtime.adapters.swap_set("normal"))
                before = _target_logprob(ctx, example)
                ctx.set_adapters(*runtime.adapters.swap_set("code"))
                gains.append(_target_logprob(ctx, example) - before)
        finally:
            ctx.close()
        print("mean log-prob gain per trained token (nats):", [round(g, 3) for g in gains])
        assert min(gains) > 0.05, "the adapter makes the trained replies more likely in llama.cpp"
        turn = runtime.turn("code", [{"role": "user", "content": "Show me mathutil.py"}])
        assert turn.adapter.loaded and turn.adapter.version == "v0001"
