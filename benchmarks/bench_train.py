"""Training throughput of a backend on one base: tokens/s and peak memory per dtype, all from ONE run.

    python benchmarks/bench_train.py                       # trl on CPU, embedded model, fp32 vs bf16
    python benchmarks/bench_train.py --steps 10 --json     # ... and the last line is one JSON object
    python benchmarks/bench_train.py --backend unsloth --base Qwen/Qwen3-0.6B --dtypes bf16   # on a CUDA GPU

Each dtype runs in its own process (clean peak memory): LoRA r16 on every projection, SFT steps on rows
built from the task suite's gold calls, rendered with the base's own chat template. tokens/s counts the
non-padding tokens the trainer saw, over the whole stage (the first step's warm-up included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from entropi.config.schema import known_tools
from entropi.tasks import load_tasks


def gold_rows(n: int) -> list[dict[str, Any]]:
    """SFT rows: the task prompt, then the gold first call with a line of reasoning."""
    schemas = known_tools()
    rows = []
    for task in load_tasks():
        if not task.gold.tool_calls:
            continue
        call = task.gold.tool_calls[0]
        message = {
            "role": "assistant",
            "content": "",
            "reasoning_content": f"I will call {call.name} first.",
            "tool_calls": [
                {"type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            ],
        }
        rows.append(
            {
                "messages": [
                    {"role": "system", "content": "You are entropi."},
                    {"role": "user", "content": task.prompt},
                    message,
                ],
                "tools": [schemas[call.name]],
            }
        )
    return (rows * (n // len(rows) + 1))[:n]


def run_one(args: argparse.Namespace, dtype: str) -> dict[str, Any]:
    """One dtype, in this process."""
    import torch

    from entropi.training.backends import backend_defaults, make_backend
    from entropi.training.base_model import hf_location, resolve_base, training_formatter
    from entropi.training.config import load_finetune_config, with_backend_defaults
    from entropi.training.render import TrainingRenderer
    from entropi.training.sft import build_sft_data, run_sft

    overrides = {"tier": "code", "backend": args.backend, "dtype": dtype, "lora": {"rank": 16, "alpha": 32}}
    overrides["sft"] = {
        "max_steps": args.steps,
        "batch_size": args.batch,
        "warmup_ratio": 0,
        "eval_steps": 10_000,
    }
    config = with_backend_defaults(load_finetune_config(None, overrides), backend_defaults(args.backend))
    backend = make_backend(args.backend)
    base = resolve_base(args.base, project_root=Path.cwd())
    started = time.perf_counter()
    model, tokenizer = backend.load(hf_location(base), config)
    model = backend.add_lora(model, config)
    load_s = time.perf_counter() - started
    renderer = TrainingRenderer(training_formatter(base, tokenizer), tokenizer)
    data = build_sft_data(gold_rows(args.steps * args.batch), [], renderer, config.sft.max_length)
    with tempfile.TemporaryDirectory() as work:
        metrics = run_sft(model, tokenizer, backend, config, data, Path(work), []).metrics
    out = {
        "backend": args.backend,
        "dtype": dtype,
        "steps": metrics["steps"],
        "batch": args.batch,
        "tokens": metrics["tokens"],
        "tokens_per_s": metrics["tokens_per_s"],
        "s_per_step": round(metrics["train_seconds"] / max(metrics["steps"], 1), 2),
        "load_s": round(load_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "threads": torch.get_num_threads(),
    }

    if torch.cuda.is_available():
        out["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
        out["gpu"] = torch.cuda.get_device_name()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="trl", choices=("trl", "unsloth"))
    parser.add_argument("--base", default="embedded", help="GGUF file, HF dir or Hub id (default: embedded)")
    parser.add_argument("--dtypes", default="fp32,bf16", help="comma-separated: fp32, bf16, fp16")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one dtype and print its JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args, args.one)))
        return 0
    results = []
    for dtype in args.dtypes.split(","):
        cmd = [sys.executable, __file__, "--backend", args.backend, "--base", args.base]
        cmd += ["--steps", str(args.steps), "--batch", str(args.batch), "--one", dtype]
        done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
        if done.returncode != 0:
            Console(stderr=True).print(f"[red]{dtype} failed[/red]\n{done.stderr[-3000:]}")
            return 1
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    table = Table(title=f"training throughput ({args.backend}, {args.base}, {os.cpu_count()} CPUs visible)")
    for column in ("dtype", "tokens/s", "s/step", "tokens", "peak RSS MB", "load s"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            r["dtype"],
            str(r["tokens_per_s"]),
            str(r["s_per_step"]),
            str(r["tokens"]),
            str(r["peak_rss_mb"]),
            str(r["load_s"]),
        )
    Console().print(table)
    if len(results) > 1 and results[0]["tokens_per_s"]:
        ratio = {r["dtype"]: round(r["tokens_per_s"] / results[0]["tokens_per_s"], 2) for r in results}
        Console().print(f"speed relative to {results[0]['dtype']}: {ratio}")
    if args.json:
        print(json.dumps({"results": results, "load_avg": os.getloadavg()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
