"""Extraction throughput and memory: synthetic model logs of ~10 MB and ~200 MB through the real extractor,
with the streaming pass in one process and in two (`--workers 1` / `2` of the CLI), side by side in one run.

    python benchmarks/bench_extract.py [--sizes 10 200] [--workers 1 2] [--repeat N] [--json]

Logs are written in the real format (`encode_record`), rotated at 50 MB like the agent's log: sessions of
several queries whose context grows call by call (system prompt, file contents, tool results), with a mix of
good, incoherent, invalid, denied and failing turns so every path of the extractor runs. Each (size, workers)
is extracted in a fresh child process, the worker counts one after the other for each size (`--repeat`:
that many rounds, alternating). Figures: MB/s of the streaming pass (read → join → label → rows → redact →
dedup → write) by wall clock and by CPU time (of both processes with two: steadier on a shared machine, and
what two processes cost), the CPU seconds of the main process and of the worker (the pass's wall clock can be
no shorter than the larger), MB/s (CPU time) of the model-log reader alone on the same files, reading as the
pass does (`share=True`; measured in the one-process child), total seconds (setup, pass, HF copy, reports)
and the HF copy's own seconds, the peak RSS of the main process (overall and as the pass ends: the HF copy,
done by `datasets` after the pass, accounts for most of the overall peak's growth with log size) and of the
worker (forked from the main process, so much of it is pages the two share), and the 1-minute load average as
each child starts and ends.

The figure against the target (>= 50 MB/s, flat RSS) is the wall-clock MB/s of the default configuration:
the CLI's default `--workers` (2 where there are 2 or more cores), marked `*` in the table.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from entropi.config.schema import known_tools
from entropi.modellog import (
    ApprovalRecord,
    BaseModelInfo,
    ModelCallRecord,
    ParsedInfo,
    ToolCallInfo,
    ToolResultRecord,
    encode_record,
)

ROTATE_BYTES = 50_000_000
TS = "2026-11-22T10:00:00.000Z"
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "parse",
    "value",
    "config",
    "stream",
    "token",
    "cache",
    "index",
    "router",
    "tier",
    "shard",
    "merge",
]
SYSTEM = "You are entropi, a local coding agent. Think step by step, then call one tool. " * 12


def _source(rng: random.Random, lines: int) -> str:
    return "\n".join(
        f"def {rng.choice(WORDS)}_{i}(x):\n    return x * {rng.randint(1, 99)}  # "
        + " ".join(rng.sample(WORDS, 5))
        for i in range(lines)
    )


def _render(messages: list[dict]) -> str:
    """A ChatML rendering, standing in for the prompt text the runtime logs."""
    return "".join(f"<|im_start|>{m['role']}\n{m.get('content', '')}<|im_end|>\n" for m in messages)


def _call(session: str, turn: int, index: int, messages: list, thinking: str, calls: list, content: str = ""):
    tools = [known_tools()[n] for n in ("filesystem.read_file", "filesystem.edit_file", "bash.execute")]
    parsed = ParsedInfo(
        thinking=thinking,
        content=content,
        tool_calls=[ToolCallInfo(id=f"call_{i}", name=n, arguments=a) for i, (n, a) in enumerate(calls)],
    )
    raw = f"<think>{thinking}</think>\n" + "".join(json.dumps({"name": n, "arguments": a}) for n, a in calls)
    return ModelCallRecord(
        session_id=session,
        turn_index=turn,
        call_index=index,
        started_at=TS,
        finished_at=TS,
        tier="code",
        base_model=BaseModelInfo(id="bench", path="/m.gguf", sha256="0" * 64, arch="llama"),
        sampling={},
        messages=[dict(m) for m in messages],
        tools=tools,
        prompt=_render(messages),
        raw_output=raw + content,
        parsed=parsed,
        stop_reason="eos",
        timings={},
    )


def _session(rng: random.Random, n: int):
    """Records of one session: 4 queries × (read, edit or a bad turn, answer)."""
    session = f"bench{n:08d}"
    messages: list[dict] = [{"role": "system", "content": SYSTEM}]
    for turn in range(4):
        path = f"pkg/{rng.choice(WORDS)}_{n}_{turn}.py"
        messages.append(
            {"role": "user", "content": f"Please fix {rng.choice(WORDS)} in {path} (ticket {n}-{turn})."}
        )
        kind = rng.choice(["good", "good", "good", "incoherent", "invalid", "denied", "failed"])
        steps = [(f"I'll read `{path}` first.", [("filesystem.read_file", {"path": path})], "ok")]
        if kind == "incoherent":
            steps.append((f"I'll edit `{path}` now.", [("bash.execute", {"command": "ls -la"})], "ok"))
        elif kind == "invalid":
            steps.append((f"I'll edit `{path}` now.", [("filesystem.edit_file", {"file": path})], "error"))
        elif kind == "denied":
            steps.append((f"I'll run `rm {path}`.", [("bash.execute", {"command": f"rm {path}"})], "denied"))
        elif kind == "failed":
            steps.append(
                (f"I'll read `{path}.bak`.", [("filesystem.read_file", {"path": path + ".bak"})], "error")
            )
        edit = {"path": path, "old_string": "x * 1", "new_string": "x * 2"}
        steps.append((f"I'll edit `{path}` to fix it.", [("filesystem.edit_file", edit)], "ok"))
        steps.append(("No tool is needed; I'll answer.", [], None))
        for index, (thinking, calls, status) in enumerate(steps):
            content = "" if calls else f"Fixed {path}: the factor was wrong."
            record = _call(session, turn, index, messages, thinking, calls, content)
            yield record
            messages.append(
                {
                    "role": "assistant",
                    "content": content,
                    "reasoning_content": thinking,
                    "tool_calls": [
                        {"id": f"call_{i}", "type": "function", "function": {"name": c, "arguments": a}}
                        for i, (c, a) in enumerate(calls)
                    ],
                }
            )
            for i, (name, args) in enumerate(calls):
                if status == "denied":
                    yield ApprovalRecord(
                        session_id=session,
                        turn_index=turn,
                        call_record_id=record.record_id,
                        tool_call_id=f"call_{i}",
                        name=name,
                        decision="deny_feedback",
                        feedback="do not delete files",
                    )
                result = _source(rng, 40) if status == "ok" else f"error: {status}"
                yield ToolResultRecord(
                    session_id=session,
                    turn_index=turn,
                    call_record_id=record.record_id,
                    tool_call_id=f"call_{i}",
                    name=name,
                    arguments=args,
                    status=status,
                    content=result,
                    duration_ms=1.0,
                    error_code=None if status == "ok" else status,
                )
                messages.append(
                    {"role": "tool", "tool_call_id": f"call_{i}", "name": name, "content": result}
                )


def generate(directory: Path, megabytes: int, seed: int = 0) -> Path:
    """Write rotated logs totalling ~`megabytes` MB under `directory`; returns the current log's path."""
    rng = random.Random(seed)
    log = directory / "session_model.log"
    parts, written, n, current = [], 0, 0, None
    while written < megabytes * 1_000_000:
        for record in _session(rng, n):
            block = encode_record(record)
            if current is None or current.tell() + len(block) > ROTATE_BYTES:
                if current is not None:
                    current.close()
                parts.append(directory / f"part{len(parts)}")
                current = parts[-1].open("wb")
            current.write(block)
            written += len(block)
        n += 1
    current.close()
    for i, part in enumerate(parts[:-1], 1):
        part.rename(directory / f"session_model.log.{i}")
    parts[-1].rename(log)
    return log


def child(log: Path, out: Path, workers: int) -> None:
    import os

    from entropi.data import export
    from entropi.data.extract import ExtractOptions, expand_logs, extract
    from entropi.modellog import read_records

    load_start = os.getloadavg()[0]
    paths = expand_logs([str(log)])
    reader_cpu_s = None
    if workers == 1:  # the reader alone, as the pass reads (once per size)
        started = time.process_time()
        sum(1 for _ in read_records(paths, errors=[], share=True))
        reader_cpu_s = time.process_time() - started
    pass_peak: list[float] = [0.0]

    def progress(done: int, total: int) -> None:  # peak RSS as the streaming pass ends (before the HF copy)
        if done >= total:
            pass_peak[0] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    hf_s = [0.0]
    save_hf = export.save_hf

    def timed_save_hf(*args: object, **kwargs: object) -> None:  # the `datasets` copy after the pass
        begun = time.perf_counter()
        save_hf(*args, **kwargs)  # type: ignore[arg-type]
        hf_s[0] += time.perf_counter() - begun

    export.save_hf = timed_save_hf  # type: ignore[assignment]
    started = time.perf_counter()
    report = extract(paths, out, ExtractOptions(), tasks=[], progress=progress, workers=workers)
    total = time.perf_counter() - started
    result = {
        "report": report,
        "total_s": total,
        "reader_cpu_s": reader_cpu_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "pass_peak_rss_mb": pass_peak[0],
        "hf_copy_s": hf_s[0],
        "load": [load_start, os.getloadavg()[0]],
    }
    print(json.dumps(result))


def _row(data: dict, actual: float, workers: int, default: int) -> dict:
    inputs = data["report"]["inputs"]
    cpu, worker_cpu = inputs["cpu_seconds"], inputs["worker_cpu_seconds"]
    reader = data["reader_cpu_s"]
    return {
        "log_mb": round(actual / 1e6, 1),
        "workers": f"{workers}{'*' if workers == default else ''}",
        "pass_s": inputs["seconds"],
        "wall_mb_s": inputs["mb_per_s"],
        "cpu_mb_s": round(actual / 1e6 / cpu, 2),
        "main_cpu_s": round(cpu - worker_cpu, 3),
        "worker_cpu_s": round(worker_cpu, 3) if workers == 2 else None,
        "reader_only_cpu_mb_s": round(actual / 1e6 / reader, 2) if reader else None,
        "total_s": round(data["total_s"], 2),
        "hf_copy_s": round(data["hf_copy_s"], 2),
        "peak_rss_mb": round(data["peak_rss_mb"], 1),
        "pass_peak_rss_mb": round(data["pass_peak_rss_mb"], 1),
        "worker_peak_rss_mb": round(data["worker_peak_rss_mb"], 1) if workers == 2 else None,
        "load_1min": "{:.2f}→{:.2f}".format(*data["load"]),
        "sft_rows": sum(data["report"]["sft"].get("rows", {}).values()),
        "dpo_rows": sum(data["report"]["dpo"].get("rows", {}).values()),
    }


def main(argv: list[str] | None = None) -> int:
    from entropi.data.extract import default_workers

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 200], help="log sizes in MB")
    ap.add_argument("--workers", type=int, nargs="+", choices=(1, 2), default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1, help="rounds over the worker counts, per size")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=3, metavar=("LOG", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), int(args.child[2]))
        return 0
    console = Console(stderr=True)
    default = default_workers()
    results = []
    with tempfile.TemporaryDirectory(prefix="entropi-bench-extract-") as tmp:
        for size in args.sizes:
            folder = Path(tmp) / f"logs{size}"
            folder.mkdir()
            log = generate(folder, size)
            actual = sum(p.stat().st_size for p in folder.iterdir())
            console.print(f"generated {actual / 1e6:.1f} MB in {len(list(folder.iterdir()))} file(s)")
            for _ in range(args.repeat):
                for workers in args.workers:
                    out = Path(tmp) / f"out{size}-{workers}"
                    proc = subprocess.run(
                        [sys.executable, __file__, "--child", str(log), str(out), str(workers)],
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    data = json.loads(proc.stdout.strip().splitlines()[-1])
                    results.append(_row(data, actual, workers, default))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    table = Table(
        title="extraction: streaming pass by wall clock and CPU time (total includes the HF copy); "
        f"target: wall_mb_s >= 50 for the default workers (*: {default} here)"
    )
    for column in results[0]:
        table.add_column(column, justify="right")
    for row in results:
        table.add_row(*("-" if v is None else str(v) for v in row.values()))
    Console(width=240).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
