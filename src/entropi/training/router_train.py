"""Train the router adapter: a LoRA that makes the base model's next token after a request name its tier.

The router reads one forward pass: the logits of the four tier labels' first tokens after
``<prefix><request><suffix>`` (`inference.router.RouterPrompt`, the one owner of that layout, tokenized by
llama.cpp itself so training and routing see identical ids). Training minimises the cross-entropy of the
softmax over exactly those four logits — the router's own decision rule — on labelled requests
(`{"input", "expected_tier"}` JSON lines). The adapter ships its prompt (``router_prompt.txt``, by
default a short one without few-shot examples: a trained adapter does not need them, and routing then
evaluates far fewer tokens) and registers under ``lora_adapters/router/<version>`` like a tier adapter.
Non-goals: tier adapters (``pipeline.py``), scoring against held-out cases (``evaluation``).
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from entropi.config.schema import TIERS
from entropi.training import registry
from entropi.training.base_model import resolve_base

SLOT = "router"
SHORT_PROMPT = "Request: {request}\nTier (thinking, code, normal or simple):"


class RouterDataError(ValueError):
    """Routing rows that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class RouterTrainConfig:
    """Settings of one router training run (defaults measured on the embedded model, see docs/training.md)."""

    rank: int = 16
    alpha: float = 32.0
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    learning_rate: float = 1e-3
    epochs: int = 4
    batch_size: int = 16
    eval_fraction: float = 0.1
    seed: int = 0
    max_input_tokens: int = 48
    prompt: str = SHORT_PROMPT
    export_dtype: str = "f32"


@dataclass
class RouterTrainResult:
    version: str
    folder: Path
    manifest: dict[str, Any] = field(default_factory=dict)


def load_routing_rows(paths: Sequence[Path]) -> list[tuple[str, str]]:
    """(request, tier) pairs from JSON lines with ``input`` and ``expected_tier`` (or ``tier``)."""
    rows: list[tuple[str, str]] = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise RouterDataError(f"{path}: cannot read routing rows ({exc})") from exc
        for number, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RouterDataError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            text = row.get("input") if isinstance(row, dict) else None
            tier = (row.get("expected_tier") or row.get("tier")) if isinstance(row, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise RouterDataError(f"{path}:{number}: 'input' must be a non-empty string")
            if tier not in TIERS:
                raise RouterDataError(f"{path}:{number}: tier {tier!r} is not one of {', '.join(TIERS)}")
            rows.append((text, tier))
    if not rows:
        raise RouterDataError("no routing rows to train on")
    return rows


def _split(rows: list[tuple[str, str]], fraction: float, seed: int) -> tuple[list, list]:
    shuffled = sorted(set(rows))
    random.Random(seed).shuffle(shuffled)
    n_eval = int(len(shuffled) * fraction)
    return shuffled[n_eval:], shuffled[:n_eval]


def _batches(encoded: list[tuple[list[int], int]], size: int, rng: random.Random) -> list[list]:
    order = list(encoded)
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, len(order), size)]


def _label_logits(model: Any, batch: list[tuple[list[int], int]], label_tokens: list[int], torch: Any) -> Any:
    """Logits of the label tokens after each row's last token (rows right-padded).

    Only the label rows of the output head are applied, at the last position: the full-vocabulary head
    over every position would cost more than the LoRA-wrapped decoder itself.
    """
    width = max(len(tokens) for tokens, _ in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, (tokens, _) in enumerate(batch):
        ids[i, : len(tokens)] = torch.tensor(tokens)
        mask[i, : len(tokens)] = 1
    causal_lm = model.get_base_model()
    hidden = causal_lm.model(input_ids=ids, attention_mask=mask).last_hidden_state
    last = hidden[torch.arange(len(batch)), mask.sum(dim=1) - 1]
    return last @ causal_lm.lm_head.weight[label_tokens].T


def _accuracy(model: Any, encoded: list, label_tokens: list[int], size: int, torch: Any) -> float | None:
    if not encoded:
        return None
    right = 0
    with torch.no_grad():
        for i in range(0, len(encoded), size):
            batch = encoded[i : i + size]
            picked = _label_logits(model, batch, label_tokens, torch).argmax(dim=1)
            right += sum(int(p) == label for p, (_, label) in zip(picked.tolist(), batch, strict=True))
    return right / len(encoded)


def train_router(
    rows: list[tuple[str, str]],
    *,
    project_root: Path,
    out_root: Path,
    config: RouterTrainConfig | None = None,
    base_spec: str | None = None,
    console: Console | None = None,
    promote: bool = False,
) -> RouterTrainResult:
    """Train, export and register a router adapter; returns the new version."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from entropi.inference.llama_model import LlamaModel
    from entropi.inference.router import RouterPrompt
    from entropi.training.base_model import hf_location
    from entropi.training.export import export_run

    config = config or RouterTrainConfig()
    console = console or Console(stderr=True)
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    base = resolve_base(base_spec, project_root=project_root)
    if base.gguf is None:
        raise RouterDataError(
            "the router adapter needs a GGUF base (the runtime's tokenizer is the reference)"
        )
    llama = LlamaModel(base.gguf)
    try:
        prompt = RouterPrompt(llama, config.prompt, TIERS, config.max_input_tokens)
        train_rows, eval_rows = _split(rows, config.eval_fraction, config.seed)
        encoded_train = [(prompt.tokens(text), TIERS.index(tier)) for text, tier in train_rows]
        encoded_eval = [(prompt.tokens(text), TIERS.index(tier)) for text, tier in eval_rows]
        label_tokens = list(prompt.label_tokens)
    finally:
        llama.close()
    location = hf_location(base, on_convert=lambda d: console.print(f"converting the GGUF for training: {d}"))
    model = AutoModelForCausalLM.from_pretrained(location, dtype=torch.float32)
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        target_modules=list(config.target_modules),
        lora_dropout=0.0,
        bias="none",
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    rng = random.Random(config.seed)
    before = _accuracy(model, encoded_eval, label_tokens, config.batch_size, torch)
    losses: list[float] = []
    steps = sum(
        len(_batches(encoded_train, config.batch_size, random.Random(0))) for _ in range(config.epochs)
    )
    with Progress(
        TextColumn("router {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bar = progress.add_task("training", total=steps)
        for epoch in range(config.epochs):
            model.train()
            for batch in _batches(encoded_train, config.batch_size, rng):
                targets = torch.tensor([label for _, label in batch])
                loss = torch.nn.functional.cross_entropy(
                    _label_logits(model, batch, label_tokens, torch), targets
                )
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
                progress.update(bar, advance=1, description=f"epoch {epoch + 1} loss {losses[-1]:.3f}")
    model.eval()
    after_train = _accuracy(model, encoded_train, label_tokens, config.batch_size, torch)
    after_eval = _accuracy(model, encoded_eval, label_tokens, config.batch_size, torch)
    version, work = registry.new_run(out_root, SLOT, resume=False)
    model.save_pretrained(str(work / registry.PEFT_DIR))
    export = export_run(base, model.config, work, tier=SLOT, version=version, dtype=config.export_dtype)
    from entropi.inference.router import PROMPT_FILE

    (work / PROMPT_FILE).write_text(config.prompt + "\n", encoding="utf-8")
    manifest = {
        "schema": registry.MANIFEST_SCHEMA,
        "tier": SLOT,
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "base_model": {"id": base.model_id, "sha256": base.sha256(), "arch": base.arch, "kind": base.kind},
        "rank": config.rank,
        "alpha": config.alpha,
        "target_modules": sorted(config.target_modules),
        "dataset": {"rows": len(rows), "train": len(encoded_train), "eval": len(encoded_eval)},
        "training": {
            "backend": "torch",
            "seconds": round(time.perf_counter() - started, 1),
            "config": {**config.__dict__, "target_modules": list(config.target_modules)},
            "losses": [round(x, 4) for x in losses],
        },
        "export": {"file": registry.ADAPTER_FILE, "dtype": export.dtype, "tensors": export.n_tensors},
        "metrics": {
            "training": {
                "eval_accuracy_before": before,
                "train_accuracy": after_train,
                "eval_accuracy": after_eval,
                "final_loss": losses[-1] if losses else None,
            },
            "evaluation": None,
        },
        "code_revision": registry.code_revision(),
    }
    registry.write_manifest(work, manifest)
    shutil.rmtree(work / "checkpoints", ignore_errors=True)
    folder = registry.finalize(work, out_root, SLOT, version)
    if promote:
        registry.promote(out_root, SLOT, version)
    console.print(
        f"[green]router adapter[/green] {folder} — held-out split accuracy "
        f"{_pct(before)} → {_pct(after_eval)} (train {_pct(after_train)})"
    )
    return RouterTrainResult(version, folder, manifest)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def router_accuracy(runtime: Any, router: str | None, cases: Sequence[Any]) -> float:
    """Share of router cases routed to their `expected_tier` by ``router`` (a router variant label)."""
    right = sum(runtime.route(c.input, router=router).tier == c.expected_tier for c in cases)
    return right / len(cases)


def promote_router(
    project_root: Path, out_root: Path, version: str, *, console: Console, min_accuracy: float = 0.9
) -> bool:
    """Promote router ``version`` if, on the shipped held-out router cases, it beats the current router
    (or the base) and reaches ``min_accuracy``; prints both accuracies and the decision."""
    from entropi.config import load_config
    from entropi.evaluation.cases import builtin_cases
    from entropi.inference.runtime import Runtime

    cases = [c for c in builtin_cases() if c.kind == "router"]
    current = registry.current_version(out_root, SLOT)
    config = load_config(project_root)
    config = config.model_copy(update={"log": config.log.model_copy(update={"enabled": False})})
    with Runtime(config, project_root=project_root, with_router=False) as runtime:
        runtime.add_router_variant("current", out_root / SLOT / current if current else None)
        runtime.add_router_variant("candidate", out_root / SLOT / version)
        before = router_accuracy(runtime, "current", cases)
        after = router_accuracy(runtime, "candidate", cases)
    accepted = after > before and after >= min_accuracy
    console.print(
        f"router gate on {len(cases)} held-out cases: {current or 'base'} {_pct(before)} → {version} "
        f"{_pct(after)} (needs ≥ {_pct(min_accuracy)} and a gain): "
        + ("[green]promoted[/green]" if accepted else "[red]refused[/red]")
    )
    if accepted:
        registry.promote(out_root, SLOT, version, gate={"router_accuracy": after, "baseline": before})
    return accepted
