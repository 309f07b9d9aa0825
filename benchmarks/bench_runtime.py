"""Runtime benchmark on the embedded model with real GGUF LoRA adapters, all figures from ONE run.

    python benchmarks/bench_runtime.py            # rich tables
    python benchmarks/bench_runtime.py --json     # ... and the last line is one JSON object
    python benchmarks/bench_runtime.py --quick    # fewer repetitions (smoke check)

Figures: reload_ms (base + adapter loaded from scratch), swap_ms (adapter-set swap + the extra cost it adds to
the next decode), switch_ttft_cold_ms vs switch_ttft_snapshot_ms (first token after returning to a tier whose
system prompt is ~2k tokens), decode_tok_s_base vs decode_tok_s_lora vs decode_tok_s_raw (a bare llama_decode
loop: the ceiling), router_p50_ms, plus LoRA variants (dtype, target modules, threads) and KV memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import llama_cpp as L
import yaml
from rich.console import Console
from rich.table import Table

from entropi.config import TIERS, defaults_dir, load_config
from entropi.inference.adapters import AdapterSet
from entropi.inference.filehash import file_sha256
from entropi.inference.generate import GenerationStats, Sampler, SamplingParams, generate
from entropi.inference.gguf_info import read_gguf_info
from entropi.inference.kv_cache import KVManager
from entropi.inference.llama_model import ContextParams, LlamaContext, LlamaModel
from entropi.inference.model_store import embedded_model_path
from entropi.inference.router import Router
from entropi.inference.runtime import Runtime
from entropi.training.lora_gguf_writer import random_lora_for, write_lora_gguf

console = Console(stderr=True)
ALL_LINEAR = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")
STORY = "<|im_start|>user\nTell me a long story about a lighthouse keeper.<|im_end|>\n<|im_start|>assistant\n"
REQUESTS = [
    "hi!",
    "thanks, that fixed it",
    "where is the config loaded?",
    "what does parse_args return?",
    "add a --verbose flag to the cli",
    "fix the off-by-one in paginate()",
    "rename fetch_all to load_all",
    "why do the integration tests fail on CI only?",
    "plan the migration to the new storage API",
    "investigate the memory leak in the worker",
    "explain the router module",
    "write a unit test for slugify",
    "good morning",
    "refactor the parser into two modules",
    "how are sessions stored?",
    "debug the flaky test_upload test",
    "what is 2+2?",
    "add type hints to utils.py",
    "list the todo items",
    "find out why startup is slow and propose fixes",
]


def median_ms(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def make_adapter(folder: Path, tensors, name: str, *, targets=ALL_LINEAR, rank=16, dtype="f16") -> Path:
    pairs = random_lora_for(tensors, rank=rank, targets=targets, seed=hash(name) % 1000, std=0.02)
    return write_lora_gguf(
        folder / name / "adapter.gguf", arch="llama", alpha=rank, tensors=pairs, dtype=dtype
    )


def decode_tok_s(model: LlamaModel, ctx: LlamaContext, n_tokens: int, key=(), handles=()) -> float:
    """entropi's own generation loop (C sampler chain, piece decoding, cancellation checks)."""
    ctx.set_adapters(key, list(handles))
    kv = KVManager(ctx, snapshots=False)
    prompt = model.tokenize(STORY)
    total_tokens, total_ms = 0, 0.0
    seed = 0
    while total_tokens < n_tokens:
        kv.reset()
        kv.key = key
        kv.prepare("bench", key, prompt, 0)
        stats = GenerationStats()
        sampler = Sampler(
            SamplingParams(temperature=0.8, top_k=40, top_p=0.95, seed=seed), n_vocab=model.n_vocab
        )
        for _ in generate(kv, sampler, max_tokens=min(256, n_tokens - total_tokens + 1), stats=stats):
            pass
        sampler.close()
        total_tokens += max(stats.completion_tokens - 1, 0)
        total_ms += stats.decode_ms
        seed += 1
    return total_tokens / (total_ms / 1000)


def raw_tok_s(model: LlamaModel, ctx: LlamaContext, n_tokens: int) -> float:
    """The ceiling: one llama_decode per token, no sampling, no Python work besides the call."""
    ctx.set_adapters((), [])
    ctx.clear()
    prompt = model.tokenize(STORY)
    ctx.decode(prompt, 0)
    pos, tok = len(prompt), prompt[-1]
    started = time.perf_counter()
    for i in range(n_tokens):
        ctx.decode_one(tok, pos + i)
    return n_tokens / (time.perf_counter() - started)


def swap_cost_ms(
    model: LlamaModel, ctx: LlamaContext, adapters: AdapterSet, reps: int
) -> tuple[float, float]:
    """(the set call alone, the set + the extra time it adds to the next one-token decode).

    The extra is measured against a one-token decode at the same position under the same adapter with no
    swap before it. Timing only: the KV here mixes adapters, which the runtime never does.
    """
    a, b = adapters.swap_set("code"), adapters.swap_set("thinking")
    prompt = model.tokenize(STORY)
    pos, tok = len(prompt), prompt[-1]
    ctx.set_adapters(*a)
    ctx.clear()
    ctx.decode(prompt, 0)
    set_times, extra = [], []
    for _ in range(reps):
        for other, target in ((a, b), (b, a)):
            ctx.set_adapters(*target)
            ctx.decode_one(tok, pos)  # pays any pending graph rebuild
            ctx.truncate(pos)
            t = time.perf_counter()
            ctx.decode_one(tok, pos)
            steady = time.perf_counter() - t
            ctx.truncate(pos)
            ctx.set_adapters(*other)
            ctx.decode_one(tok, pos)
            ctx.truncate(pos)
            t = time.perf_counter()
            ctx.set_adapters(*target)
            t_set = time.perf_counter() - t
            ctx.decode_one(tok, pos)
            swapped = time.perf_counter() - t
            ctx.truncate(pos)
            set_times.append(t_set * 1000)
            extra.append(max(swapped - steady, 0.0) * 1000)
    return statistics.median(set_times), statistics.median(extra)


def reload_ms(base: Path, adapter: Path, reps: int) -> float:
    def once() -> None:
        model = LlamaModel(base)
        ctx = LlamaContext(model, ContextParams(n_ctx=8192))
        handle = L.llama_adapter_lora_init(model.handle, str(adapter).encode())
        ctx.set_adapters(("x",), [(handle, 1.0)])
        ctx.decode_one(1, 0)  # the first decode pays graph reservation, as a swap's does
        ctx.close()
        model.close()

    return median_ms(once, reps)


def switch_ttft(tmp: Path, adapter_code: Path, adapter_think: Path, reps: int) -> tuple[float, float, int]:
    """TTFT of a code-tier turn with a ~2k-token system prompt: cold vs restored from its snapshot."""
    (tmp / ".entropi").mkdir(exist_ok=True)
    long_prompt = "You are entropi's code tier. Follow the project conventions below.\n" + "\n".join(
        f"- Convention {i}: keep module {i} small, typed, tested and documented; prefer clarity."
        for i in range(105)
    )
    (tmp / ".entropi" / "long.md").write_text(long_prompt)
    (tmp / ".entropi" / "short.md").write_text("You are entropi. Answer briefly.")
    tiers = {
        t: {"system_prompt": "short.md", "tools": [], "sampling": {"temperature": 0, "max_tokens": 1}}
        for t in TIERS
    }
    tiers["code"].update(system_prompt="long.md", lora_path=str(adapter_code))
    tiers["thinking"]["lora_path"] = str(adapter_think)
    cfg = {"tiers": tiers, "router": {"enabled": False}, "log": {"enabled": False}, "model": {"n_ctx": 4096}}
    (tmp / ".entropi" / "config.yaml").write_text(yaml.safe_dump(cfg))
    config = load_config(tmp, env={}, home=tmp / "home")
    msgs = [{"role": "user", "content": "Add a --verbose flag to the command line."}]
    cold, warm = [], []
    with Runtime(config, project_root=tmp, with_router=False) as rt:
        prefix = rt.prefix_token_count("code")
        for _ in range(reps):
            rt.kv.drop_snapshots()
            rt.turn("thinking", msgs)
            cold.append(rt.turn("code", msgs).timings["ttft_ms"])
            rt.turn("thinking", msgs)
            result = rt.turn("code", msgs)
            assert result.timings["restored_tokens"] > 0
            warm.append(result.timings["ttft_ms"])
    return statistics.median(cold), statistics.median(warm), prefix


def router_p50(model: LlamaModel) -> tuple[float, float]:
    router = Router(model, prompt_file=defaults_dir() / "router_prompt.txt", tiers=TIERS)
    lat = [router.route(r).latency_ms for r in REQUESTS * 2]
    router.close()
    return statistics.median(lat), statistics.quantiles(lat, n=10)[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args(argv)
    reps, n_dec = (3, 128) if args.quick else (7, 384)
    base = embedded_model_path()
    tensors = read_gguf_info(base).tensors
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="entropi-bench-") as tmpdir:
        tmp = Path(tmpdir)
        adapter = make_adapter(tmp, tensors, "code")
        adapter_b = make_adapter(tmp, tensors, "thinking")
        with console.status("reload: base + adapter from scratch"):
            out["reload_ms"] = reload_ms(base, adapter, reps)
        model = LlamaModel(base)
        adapters = AdapterSet(model, base_arch="llama", base_sha256=lambda: file_sha256(base))
        adapters.load("code", adapter)
        adapters.load("thinking", adapter_b)
        ctx = LlamaContext(model, ContextParams(n_ctx=2048))
        with console.status("swap"):
            out["swap_set_ms"], out["swap_ms"] = swap_cost_ms(model, ctx, adapters, reps * 3)
        with console.status("decode: raw loop, base, lora"):
            out["decode_tok_s_raw"] = raw_tok_s(model, ctx, n_dec)
            out["decode_tok_s_base"] = decode_tok_s(model, ctx, n_dec)
            out["decode_tok_s_lora"] = decode_tok_s(model, ctx, n_dec, *adapters.swap_set("code"))
        variants = {
            "f32 all-linear r16": dict(dtype="f32"),
            "f16 attention r16": dict(targets=("attn_q", "attn_k", "attn_v", "attn_output")),
            "f16 q,v r16": dict(targets=("attn_q", "attn_v")),
            "f16 all-linear r64": dict(rank=64),
        }
        variant_rows = []
        with console.status("decode: LoRA variants"):
            for label, kw in variants.items():
                path = make_adapter(tmp, tensors, label.replace(" ", "_").replace(",", ""), **kw)
                adapters.load(label, path)
                tok_s = decode_tok_s(model, ctx, n_dec // 2, *adapters.swap_set(label))
                variant_rows.append((label, tok_s))
            ctx1 = LlamaContext(model, ContextParams(n_ctx=2048, n_threads=1))
            one_thread = decode_tok_s(model, ctx1, n_dec // 2, *adapters.swap_set("code"))
            ctx1.close()
        with console.status("router"):
            out["router_p50_ms"], out["router_p90_ms"] = router_p50(model)
        kv_bytes_per_token = 2 * 30 * 3 * 64 * 2  # K+V, 30 layers, 3 KV heads × 64, f16
        ctx.close()
        adapters.close()
        model.close()
        with console.status("tier switch TTFT with a ~2k-token system prompt (cold prefill is slow)"):
            out["switch_ttft_cold_ms"], out["switch_ttft_snapshot_ms"], prefix = switch_ttft(
                tmp, adapter, adapter_b, max(1, reps // 3)
            )
    out["switch_prefix_tokens"] = float(prefix)
    out["swap_over_reload"] = out["swap_ms"] / out["reload_ms"]
    out["snapshot_over_cold"] = out["switch_ttft_snapshot_ms"] / out["switch_ttft_cold_ms"]
    out["lora_decode_overhead"] = 1 - out["decode_tok_s_lora"] / out["decode_tok_s_base"]
    out["base_over_raw"] = out["decode_tok_s_base"] / out["decode_tok_s_raw"]
    out["snapshot_mb_per_1k_tokens"] = kv_bytes_per_token * 1000 / 1e6

    table = Table(title="entropi runtime (embedded SmolLM2-135M Q4_1, real GGUF LoRA r16 all-linear f16)")
    for col in ("figure", "value", "target"):
        table.add_column(col)
    rows = [
        ("reload_ms", f"{out['reload_ms']:.1f}", ""),
        (
            "swap_ms (set + next-decode extra)",
            f"{out['swap_ms']:.2f} (set alone {out['swap_set_ms']:.3f})",
            f"≤ 1% of reload: {out['swap_over_reload']:.1%}",
        ),
        (f"switch_ttft_cold_ms ({prefix}-token prefix)", f"{out['switch_ttft_cold_ms']:.0f}", ""),
        (
            "switch_ttft_snapshot_ms",
            f"{out['switch_ttft_snapshot_ms']:.0f}",
            f"≤ 2% of cold: {out['snapshot_over_cold']:.1%}",
        ),
        ("decode_tok_s_raw (ceiling)", f"{out['decode_tok_s_raw']:.1f}", ""),
        ("decode_tok_s_base", f"{out['decode_tok_s_base']:.1f}", f"≥ 90% of raw: {out['base_over_raw']:.0%}"),
        (
            "decode_tok_s_lora",
            f"{out['decode_tok_s_lora']:.1f}",
            f"overhead ≤ 20%: {out['lora_decode_overhead']:.0%}",
        ),
        ("router_p50_ms / p90", f"{out['router_p50_ms']:.1f} / {out['router_p90_ms']:.1f}", "p50 ≤ 50 ms"),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    vt = Table(title=f"LoRA decode variants (tok/s; base = {out['decode_tok_s_base']:.1f})")
    vt.add_column("adapter")
    vt.add_column("tok/s")
    vt.add_column("overhead")
    for label, tok_s in [
        ("f16 all-linear r16 (default)", out["decode_tok_s_lora"]),
        *variant_rows,
        ("f16 all-linear r16, 1 thread", one_thread),
    ]:
        vt.add_row(label, f"{tok_s:.1f}", f"{1 - tok_s / out['decode_tok_s_base']:.0%}")
        out[f"variant_tok_s[{label}]"] = tok_s
    console.print(vt)
    if args.json:
        print(json.dumps({k: round(v, 4) for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
