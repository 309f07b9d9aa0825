"""Small SFT / DPO datasets in the extractor's row format, built from the task suite's gold trajectories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from entropi.config.schema import known_tools
from entropi.tasks import load_tasks
from entropi.training import registry


def promote_without_gate(out_root: Path, tier: str, version: str) -> bool:
    """A `fine_tune` gate that always promotes: training tests are not about the evaluation gate."""
    registry.promote(out_root, tier, version)
    return True


SYSTEM = "You are entropi, a coding agent. Call tools to act."
TOOLS = ("filesystem.read_file", "bash.execute", "filesystem.glob")


def tool_schemas(names: tuple[str, ...] = TOOLS) -> str:
    """The offered tools as the extractor writes them: OpenAI-shape schemas, as one JSON string."""
    schemas = known_tools()
    return json.dumps([{"type": "function", "function": schemas[n]} for n in names])


def _call(name: str, arguments: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        "id": f"call_{index}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def gold_tasks(tools: tuple[str, ...] = TOOLS) -> list[Any]:
    """Tasks whose gold solution starts with one of ``tools``."""
    return [t for t in load_tasks() if t.gold.tool_calls and t.gold.tool_calls[0].name in tools]


def sft_row(task: Any, *, with_answer: bool = False) -> dict[str, Any]:
    """The gold first call (and, with ``with_answer``, a tool result and the final answer)."""
    first = task.gold.tool_calls[0]
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": task.prompt},
        {
            "role": "assistant",
            "content": "",
            "reasoning_content": f"For {task.id} I will call {first.name} first.",
            "tool_calls": [_call(first.name, first.arguments, 0)],
        },
    ]
    if with_answer:
        messages += [
            {"role": "tool", "tool_call_id": "call_0", "name": first.name, "content": "ok"},
            {"role": "assistant", "content": task.gold.final_answer[:120], "reasoning_content": ""},
        ]
    return {
        "messages": messages,
        "tools": tool_schemas(),
        "tier": task.tier,
        "session_id": f"gold-{task.id}",
        "source": "synthetic",
        "quality": {"valid": True, "coherent": True, "executed_ok": True, "approved": True},
    }


def dpo_row(task: Any) -> dict[str, Any]:
    """Chosen: the gold first call; rejected: an answer that calls no tool."""
    first = task.gold.tool_calls[0]
    return {
        "prompt": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": task.prompt}],
        "chosen": [
            {"role": "assistant", "content": "", "tool_calls": [_call(first.name, first.arguments, 0)]}
        ],
        "rejected": [{"role": "assistant", "content": "Done. Everything looks fine to me."}],
        "tools": tool_schemas(),
        "pair_type": "invalid_call",
        "chosen_source": "gold",
        "tier": task.tier,
        "session_id": f"gold-{task.id}",
    }


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_tier_data(root: Path, tier: str = "code", *, n_train: int = 6, n_eval: int = 2) -> Path:
    """``root/<tier>/{sft,dpo}_{train,eval}.jsonl`` from the gold tasks; returns ``root``."""
    tasks = gold_tasks()
    train, held = tasks[:n_train], tasks[n_train : n_train + n_eval]
    folder = root / tier
    write_jsonl(folder / "sft_train.jsonl", [sft_row(t) for t in train])
    write_jsonl(folder / "sft_eval.jsonl", [sft_row(t) for t in held])
    write_jsonl(folder / "dpo_train.jsonl", [dpo_row(t) for t in train])
    write_jsonl(folder / "dpo_eval.jsonl", [dpo_row(t) for t in held])
    return root


def tiny_llama(seed: int = 0, **overrides: Any) -> Any:
    """A randomly initialised 2-layer Llama (vocabulary 97) for fast, real forward/backward checks."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    shape = dict(
        vocab_size=97,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
    )
    return LlamaForCausalLM(LlamaConfig(**{**shape, **overrides}))
