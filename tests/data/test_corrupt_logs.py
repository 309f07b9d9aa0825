"""Damaged input never stops extraction: each bad record is reported and skipped, and nothing else is lost."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from entropi.data.extract import ExtractOptions, extract

MARKER = b"======== entropi-log v"


def blocks(log: bytes) -> list[bytes]:
    starts = [
        m.start()
        for m in re.finditer(re.escape(MARKER) + rb"\d+ [a-z_]+ ", log)
        if m.start() == 0 or log[m.start() - 1 : m.start()] == b"\n"
    ]
    return [log[a:b] for a, b in zip(starts, [*starts[1:], len(log)], strict=True)]


def session_of(block: bytes) -> str:
    return json.loads(re.search(rb'session=("[^"]*")', block).group(1))


def sft_keys(out: Path) -> set[tuple[str, int, str]]:
    keys = set()
    for path in out.glob("*/sft_*.jsonl"):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            keys.add((row["session_id"], row["turn_index"], row["tier"]))
    return keys


def run(paths: list[Path], out: Path) -> dict[str, Any]:
    return extract(paths, out, ExtractOptions(hf_copy=False), tasks=[])


@pytest.fixture(scope="module")
def clean(corpus, tmp_path_factory) -> tuple[list[bytes], set[tuple[str, int, str]]]:
    parts = blocks(corpus["project"].read_bytes())
    out = tmp_path_factory.mktemp("clean") / "out"
    report = run([corpus["project"]], out)
    assert report["inputs"]["read_errors"] == 0
    return parts, sft_keys(out)


def model_call_index(parts: list[bytes], nth: int) -> int:
    return [i for i, b in enumerate(parts) if b" model_call " in b[:80]][nth]


def damage(parts: list[bytes], how: str) -> tuple[bytes, str | None]:
    """The damaged log and the session whose record was lost (None: nothing lost)."""
    k = model_call_index(parts, 7)
    victim = session_of(parts[k])
    rng = random.Random(4)
    if how == "truncated_end":
        return b"".join(parts)[: -len(parts[-1]) // 2], session_of(parts[-1])
    if how == "random_bytes_between_records":
        junk = bytes(rng.randrange(256) for _ in range(700)).replace(MARKER[:4], b"xxxx")
        return b"".join([*parts[:k], junk, *parts[k:]]), None
    if how == "record_cut_mid_json":
        cut = parts[k].index(b"[META]") + 60
        return b"".join([*parts[:k], parts[k][:cut], *parts[k + 1 :]]), victim
    if how == "latin1_bytes_in_a_record":
        body = (
            parts[k]
            .replace("’".encode(), "\x92".encode("latin-1"))
            .replace(b"I'll", "J\xe9ll".encode("latin-1"))
        )
        return b"".join([*parts[:k], body, *parts[k + 1 :]]), victim
    if how == "bit_flip_in_a_body":
        flipped = bytearray(parts[k])
        flipped[len(flipped) // 2] ^= 0x20
        return b"".join([*parts[:k], bytes(flipped), *parts[k + 1 :]]), victim
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "truncated_end",
        "random_bytes_between_records",
        "record_cut_mid_json",
        "latin1_bytes_in_a_record",
        "bit_flip_in_a_body",
    ],
)
def test_damaged_log_is_reported_and_the_rest_extracted(clean, tmp_path, how):
    parts, clean_keys = clean
    data, victim = damage(parts, how)
    log = tmp_path / "model.log"
    log.write_bytes(data)
    report = run([log], tmp_path / "out")
    assert report["inputs"]["read_errors"] >= 1
    assert all(str(log) in e for e in report["inputs"]["read_error_samples"])
    survivors = {k for k in clean_keys if k[0] != victim}
    assert survivors <= sft_keys(tmp_path / "out")
    assert len(survivors) >= len(clean_keys) - 2


def test_empty_and_garbage_files_beside_a_good_log(clean, corpus, tmp_path):
    _, clean_keys = clean
    empty, garbage = tmp_path / "empty.log", tmp_path / "garbage.log"
    empty.write_bytes(b"")
    garbage.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(5000)))
    report = run([empty, corpus["project"], garbage], tmp_path / "out")
    assert report["inputs"]["read_errors"] == 1
    assert "garbage.log" in report["inputs"]["read_error_samples"][0]
    assert sft_keys(tmp_path / "out") == clean_keys


def test_marker_like_text_inside_content_is_just_content(corpus, tmp_path):
    report = run([corpus["project"]], tmp_path / "out")
    assert report["inputs"]["read_errors"] == 0
    rows = [
        json.loads(line) for line in (tmp_path / "out" / "code" / "sft_train.jsonl").read_text().splitlines()
    ]
    rows += [
        json.loads(line) for line in (tmp_path / "out" / "code" / "sft_eval.jsonl").read_text().splitlines()
    ]
    quoted = [
        r
        for r in rows
        if any("======== entropi-log v1 model_call fake" in m["content"] for m in r["messages"])
    ]
    assert len(quoted) == 1


def test_a_turn_with_malformed_message_payloads_is_counted_and_the_rest_extracted(corpus, tmp_path):
    from entropi.modellog import BaseModelInfo, ModelCallRecord, ModelLog, ParsedInfo

    log = tmp_path / "odd.log"
    log.write_bytes(corpus["project"].read_bytes())
    odd = ModelCallRecord(
        session_id="odd",
        turn_index=0,
        call_index=1,
        started_at="2026-11-22T10:00:00.000Z",
        finished_at="2026-11-22T10:00:00.000Z",
        tier="code",
        base_model=BaseModelInfo(id="m", path="", sha256="0" * 64, arch="x"),
        sampling={},
        messages=[
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "", "tool_calls": ["bad"]},
        ],
        tools=[],
        prompt="",
        raw_output="ok",
        parsed=ParsedInfo(content="ok"),
        stop_reason="eos",
        timings={},
    )
    first = odd.model_copy(update={"record_id": "e" * 32, "call_index": 0, "messages": odd.messages[:1]})
    ModelLog(log).append(first)
    ModelLog(log).append(odd)
    report = run([log], tmp_path / "out")
    assert report["join"]["turn_skipped:AttributeError"] == 1
    assert "session odd turn 0" in report["turn_error_samples"][0]
    assert report["sft"]["rows"] == run([corpus["project"]], tmp_path / "clean")["sft"]["rows"]
