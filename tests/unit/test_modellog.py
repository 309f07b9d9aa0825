"""The model log: records, the on-disk format (pinned), writer (append-only, locking, rotation) and reader."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from entropi.modellog import (
    AdapterInfo,
    ApprovalRecord,
    BaseModelInfo,
    LogFormatError,
    LogReadError,
    ModelCallRecord,
    ModelLog,
    OutcomeRecord,
    ParsedInfo,
    RoutingInfo,
    ToolCallInfo,
    ToolResultRecord,
    encode_record,
    iter_log,
    log_files,
    logfile,
    read_records,
)

T0 = "2026-11-22T10:01:02.000Z"


def model_call(**overrides: Any) -> ModelCallRecord:
    fields: dict[str, Any] = dict(
        session_id="s-1",
        turn_index=3,
        call_index=0,
        started_at=T0,
        finished_at="2026-11-22T10:01:04.500Z",
        tier="code",
        routing=RoutingInfo(
            tier="code", scores={"code": 0.9, "simple": 0.1}, latency_ms=41.5, overridden=False
        ),
        base_model=BaseModelInfo(id="smollm2-135m", path="/m/base.gguf", sha256="ab" * 32, arch="llama"),
        adapter=AdapterInfo(tier="code", path="/a/code.gguf", version="v3", sha256="cd" * 32, scale=1.0),
        sampling={"temperature": 0.2, "top_k": 40, "stop": ["</tool_call>"]},
        messages=[{"role": "system", "content": "sys"}, {"role": "user", "content": "read a.py"}],
        tools=[{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}],
        prompt="<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nread a.py<|im_end|>\n",
        raw_output='<think>read it</think>\n<tool_call>{"name": "read_file"}</tool_call>',
        parsed=ParsedInfo(
            thinking="read it",
            content="",
            tool_calls=[ToolCallInfo(id="c1", name="read_file", arguments={"path": "a.py"})],
            parse_errors=[{"kind": "none", "at": 3}],
        ),
        stop_reason="eos",
        timings={"prompt_tokens": 120, "cached_tokens": 100, "ttft_ms": 35.25, "decode_tok_s": 88.1},
        error=None,
    )
    fields.update(overrides)
    return ModelCallRecord(**fields)


def tool_result(**overrides: Any) -> ToolResultRecord:
    fields: dict[str, Any] = dict(
        session_id="s-1",
        turn_index=3,
        call_record_id="f" * 32,
        tool_call_id="c1",
        name="read_file",
        arguments={"path": "a.py"},
        status="ok",
        content="print('hi')\n",
        duration_ms=1.5,
    )
    fields.update(overrides)
    return ToolResultRecord(**fields)


def approval() -> ApprovalRecord:
    return ApprovalRecord(
        session_id="s-1", turn_index=3, call_record_id="f" * 32, tool_call_id="c1", name="bash",
        decision="deny_feedback", feedback="use git status instead", rule=None,
    )  # fmt: skip


def outcome(**overrides: Any) -> OutcomeRecord:
    fields: dict[str, Any] = dict(session_id="s-1", turn_index=3, signal="checker", passed=True, detail="3/3")
    fields.update(overrides)
    return OutcomeRecord(**fields)


def write(path: Path, records: list[Any], **kwargs: Any) -> ModelLog:
    log = ModelLog(path, **kwargs)
    for record in records:
        log.append(record)
    return log


SHARE = False  # set per test by `reading_mode`: every reading test runs with and without shared payloads


@pytest.fixture(autouse=True, params=[False, True], ids=["plain", "shared"])
def reading_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setitem(globals(), "SHARE", request.param)
    return request.param


def read(paths: list[Path]) -> tuple[list[Any], list[LogReadError]]:
    errors: list[LogReadError] = []
    return list(read_records(paths, errors=errors, share=SHARE)), errors


def reseal(block: bytes) -> bytes:
    """Recompute a block's checksum, so a deliberate edit gets past the checksum check."""
    cut = block.rindex(b"======== end ")
    digest = hashlib.sha256(block[:cut]).hexdigest().encode()
    return block[:cut] + re.sub(rb"sha256=[0-9a-f]{64}", b"sha256=" + digest, block[cut:])


# ---- records -----------------------------------------------------------------------------------------


def test_every_record_kind_round_trips(tmp_path: Path) -> None:
    path = tmp_path / ".entropi" / "session_model.log"
    records = [model_call(), tool_result(), approval(), outcome(), model_call(routing=None, adapter=None)]
    write(path, records)
    assert read([path]) == (records, [])


@pytest.mark.parametrize(
    ("factory", "bad"),
    [
        (outcome, {"extra_field": 1}),
        (outcome, {"record_id": "not-hex"}),
        (outcome, {"created_at": "2026-11-22T10:01:02+02:00"}),
        (outcome, {"created_at": "2026-11-22 10:01:02Z"}),
        (outcome, {"session_id": ""}),
        (outcome, {"turn_index": -1}),
        (outcome, {"signal": "great"}),
        (model_call, {"stop_reason": "tired"}),
        (model_call, {"timings": {"total_ms": float("nan")}}),
        (model_call, {"sampling": {"temperature": float("inf")}}),
        (model_call, {"sampling": {"seed": b"bytes"}}),
        (model_call, {"messages": [{"role": "user", "content": object()}]}),
        (tool_result, {"status": "maybe"}),
        (tool_result, {"duration_ms": -1.0}),
    ],
)
def test_records_reject_bad_fields(factory: Any, bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        factory(**bad)


def test_record_mutated_into_unloggable_state_raises_and_writes_nothing(tmp_path: Path) -> None:
    record = model_call()
    record.sampling["temperature"] = float("nan")
    with pytest.raises(ValueError, match=f"record {record.record_id} cannot be logged"):
        ModelLog(tmp_path / "log").append(record)
    assert not (tmp_path / "log").exists()


# ---- format ------------------------------------------------------------------------------------------


def test_format_is_pinned(tmp_path: Path) -> None:
    record = outcome(record_id="3f2a" + "0" * 28, created_at=T0, session_id='s "1"')
    path = tmp_path / "log"
    write(path, [record])
    meta = (
        b'{\n  "record_id": "3f2a0000000000000000000000000000",\n  "session_id": "s \\"1\\"",\n'
        b'  "turn_index": 3,\n  "created_at": "2026-11-22T10:01:02.000Z",\n  "kind": "outcome",\n'
        b'  "signal": "checker",\n  "passed": true,\n  "detail": "3/3",\n  "call_record_id": null\n}'
    )
    head = (
        b"======== entropi-log v1 outcome 3f2a0000000000000000000000000000 2026-11-22T10:01:02.000Z "
        b'session="s \\"1\\"" turn=3 ========\n'
    )
    body = head + b"[META] %d\n%s\n" % (len(meta), meta)
    foot = b"======== end 3f2a0000000000000000000000000000 sha256=%s ========\n" % (
        hashlib.sha256(body).hexdigest().encode()
    )
    assert path.read_bytes() == body + foot


def test_model_call_sections_in_order_with_byte_lengths() -> None:
    record = model_call(prompt="é" * 5, raw_output="")
    block = encode_record(record)
    lines = [line for line in block.split(b"\n") if re.fullmatch(rb"\[[A-Z ]+\] \d+", line)]
    assert [line.split(b"]")[0] for line in lines] == [
        b"[META", b"[PROMPT", b"[RAW OUTPUT", b"[TOOL CALLS", b"[MESSAGES", b"[TOOLS"
    ]  # fmt: skip
    assert b"\n[PROMPT] 10\n" + "é".encode() * 5 + b"\n[RAW OUTPUT] 0\n\n[TOOL CALLS]" in block
    assert block.startswith(f"======== entropi-log v1 model_call {record.record_id} ".encode())
    assert b'"read it"' in block and b'"tool_calls"' not in block.split(b"[PROMPT]")[0]


HOSTILE = [
    "",
    "\n",
    "[RAW OUTPUT] 12\nnot twelve\n[PROMPT] 0\n",
    "======== end " + "0" * 32 + " sha256=" + "0" * 64 + " ========\n",
    "======== entropi-log v1 outcome " + "1" * 32 + " " + T0 + ' session="x" turn=0 ========\n',
    "a\r\nb\rc\n\r\n\r",
    "nul\x00byte\x00",
    '{"name": "read_file", "arguments": {"path": ',
    "x" * 2_000_000,
    "ends with a marker ======== entropi-log v",
    "emoji 🙂 and ç and \u2028 line sep",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:20]))
def test_hostile_content_round_trips_byte_exactly(tmp_path: Path, text: str) -> None:
    whole_other = encode_record(outcome()).decode() + text
    records = [
        model_call(
            prompt=text,
            raw_output=whole_other,
            messages=[{"role": "tool", "content": text}],
            tools=[{"description": text}],
            parsed=ParsedInfo(
                thinking=text,
                content=text,
                tool_calls=[ToolCallInfo(id=text, name="n", arguments={text: text})],
            ),
        ),
        tool_result(content=text, arguments={"cmd": whole_other}),
        outcome(detail=text),
    ]
    path = tmp_path / "log"
    write(path, records)
    back, errors = read([path])
    assert errors == [] and back == records
    assert back[0].prompt.encode() == text.encode() and back[1].content.encode() == text.encode()


def test_lone_surrogates_are_written_as_replacement_characters(tmp_path: Path) -> None:
    record = model_call(prompt="a\ud800b", raw_output="\udcff", tier="c\udc80", messages=[{"\ud801": "x"}])
    path = tmp_path / "log"
    write(path, [record])
    [back], errors = read([path])
    assert errors == []
    assert (back.prompt, back.raw_output, back.tier) == ("a\ufffdb", "\ufffd", "c\ufffd")
    assert back.messages == [{"\ufffd": "x"}]


# ---- writer ------------------------------------------------------------------------------------------


def test_appends_never_change_existing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "log"
    log = ModelLog(path)
    before = b""
    for record in [model_call(), tool_result(), approval(), outcome()]:
        log.append(record)
        now = path.read_bytes()
        assert now.startswith(before) and len(now) > len(before)
        before = now


def test_disabled_log_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "log"
    write(path, [model_call(), outcome()], enabled=False)
    assert not path.parent.exists()


def test_max_bytes_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        ModelLog(tmp_path / "log", max_bytes=0)


def test_rotation_keeps_every_record_in_order(tmp_path: Path) -> None:
    path = tmp_path / "log"
    records = [outcome(turn_index=i, detail="d" * 50) for i in range(10, 30)]  # blocks of one size
    size = len(encode_record(records[0]))
    write(path, records[:3], max_bytes=size * 3)
    first_file = path.read_bytes()
    write(path, records[3:], max_bytes=size * 3)
    files = log_files(path)
    assert files == [tmp_path / f"log.{i}" for i in range(1, len(files))] + [path]
    assert len(files) == 7
    assert (tmp_path / "log.1").read_bytes() == first_file
    assert all(f.stat().st_size <= size * 3 for f in files)
    errors: list[LogReadError] = []
    assert list(iter_log(path, errors=errors)) == records and errors == []


def test_rotation_continues_after_highest_number_and_ignores_other_names(tmp_path: Path) -> None:
    path = tmp_path / "log"
    write(path, [outcome(turn_index=0)])
    (tmp_path / "log.7").write_bytes(encode_record(outcome(turn_index=7)))
    for stray in ["log.bak", "log.1x", "log.", "logx.2"]:
        (tmp_path / stray).write_bytes(b"not a log")
    record = outcome(turn_index=8)
    write(path, [record], max_bytes=1)
    assert log_files(path) == [tmp_path / "log.7", tmp_path / "log.8", path]
    assert [r.turn_index for r in iter_log(path)] == [7, 0, 8]


def test_record_bigger_than_max_bytes_gets_its_own_file(tmp_path: Path) -> None:
    path = tmp_path / "log"
    write(path, [outcome(turn_index=0), outcome(turn_index=1)], max_bytes=10)
    assert [p.name for p in log_files(path)] == ["log.1", "log"]
    assert [r.turn_index for r in iter_log(path)] == [0, 1]


def _append_many(path: str, worker: int, count: int, max_bytes: int, go: Any) -> None:
    go.wait()
    log = ModelLog(Path(path), max_bytes=max_bytes)
    for i in range(count):
        log.append(model_call(session_id=f"w{worker}", turn_index=i, prompt=f"{worker}" * (500 + 37 * i)))


@pytest.mark.parametrize("max_bytes", [50_000_000, 40_000], ids=["one-file", "rotating"])
def test_two_processes_appending_lose_nothing(tmp_path: Path, max_bytes: int) -> None:
    path = tmp_path / "log"
    ctx = multiprocessing.get_context("fork")
    go = ctx.Event()
    procs = [ctx.Process(target=_append_many, args=(str(path), w, 50, max_bytes, go)) for w in (1, 2)]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    errors: list[LogReadError] = []
    records = list(iter_log(path, errors=errors))
    assert errors == []
    for worker in ("w1", "w2"):
        assert [r.turn_index for r in records if r.session_id == worker] == list(range(50))
    assert len(records) == 100
    if max_bytes < 50_000_000:
        assert len(log_files(path)) > 5


# ---- reader ------------------------------------------------------------------------------------------


def three_records(tmp_path: Path) -> tuple[Path, list[Any], list[int]]:
    """A log of three records; returns the path, the records and each record's start offset."""
    path = tmp_path / "log"
    records = [
        model_call(turn_index=0),
        model_call(turn_index=1, prompt=encode_record(outcome()).decode()),
        model_call(turn_index=2),
    ]
    write(path, records)
    blocks = [encode_record(r) for r in records]
    starts = [0, len(blocks[0]), len(blocks[0]) + len(blocks[1])]
    assert path.read_bytes() == b"".join(blocks)
    return path, records, starts


@pytest.mark.parametrize(
    "cut", [10, 200, 1400, -60, -1], ids=["header", "meta", "prompt", "footer", "last-nl"]
)
def test_truncated_last_record_is_reported_and_earlier_records_survive(tmp_path: Path, cut: int) -> None:
    path, records, starts = three_records(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: starts[2] + cut] if cut > 0 else data[:cut])
    back, errors = read([path])
    assert back == records[:2]
    assert [(e.path, e.offset) for e in errors] == [(path, starts[2])]
    reason = "unexpected bytes outside any record" if cut == 10 else "record cut short: "
    assert errors[0].reason.startswith(reason)
    with pytest.raises(LogFormatError, match=rf"{re.escape(str(path))}: byte {starts[2]}: "):
        list(read_records([path]))


def test_writer_after_a_crash_mid_record_starts_a_fresh_line(tmp_path: Path) -> None:
    path, records, starts = three_records(tmp_path)
    path.write_bytes(path.read_bytes()[: starts[2] + 40])
    later = outcome(turn_index=9)
    write(path, [later])
    assert path.read_bytes().endswith(b"\n" + encode_record(later))
    back, errors = read([path])
    assert back == [*records[:2], later]
    assert [e.offset for e in errors] == [starts[2]]


def test_flipped_byte_fails_the_checksum_and_skips_only_that_record(tmp_path: Path) -> None:
    path, records, starts = three_records(tmp_path)
    data = bytearray(path.read_bytes())
    data[data.index(b"entropi-log v1 outcome", starts[1]) + 3] ^= (
        0x01  # in the record quoted by record 2's prompt
    )
    path.write_bytes(bytes(data))
    back, errors = read([path])
    assert back == [records[0], records[2]]
    assert [(e.offset, e.reason) for e in errors] == [
        (starts[1], "checksum mismatch: the record was changed or damaged")
    ]


def test_damaged_section_length_resynchronises_at_next_record(tmp_path: Path) -> None:
    path, records, starts = three_records(tmp_path)
    data = path.read_bytes()
    at = data.index(b"[META] ", starts[0])
    path.write_bytes(data[:at] + b"[META] 9" + data[at + 7 :])
    back, errors = read([path])
    assert back == records[1:]
    assert [e.offset for e in errors] == [0]


@pytest.mark.parametrize("junk", [b"garbage line\n", b"\xff\xfe\x00 not utf-8 \x80\n", b"x" * (1 << 20)])
def test_garbage_between_records_is_reported_and_skipped(tmp_path: Path, junk: bytes) -> None:
    path, records, starts = three_records(tmp_path)
    data = path.read_bytes()
    path.write_bytes(junk + data[: starts[1]] + b"\n\n" + junk + data[starts[1] :] + junk)
    back, errors = read([path])
    assert back == records
    assert [e.offset for e in errors] == [0, len(junk) + starts[1] + 2, len(junk) * 2 + len(data) + 2]
    assert {e.reason for e in errors} == {"unexpected bytes outside any record"}


def test_blank_lines_between_records_are_fine(tmp_path: Path) -> None:
    blocks = [encode_record(outcome(turn_index=i)) for i in range(3)]
    path = tmp_path / "log"
    path.write_bytes(b"\n" + b"\r\n\n".join(blocks) + b"\n \n")
    assert [r.turn_index for r in read([path])[0]] == [0, 1, 2] and read([path])[1] == []


def test_marker_straddling_the_scan_chunk_boundary_is_found(tmp_path: Path) -> None:
    path = tmp_path / "log"
    junk = b"j" * (logfile._SCAN_CHUNK - 5)
    path.write_bytes(junk + encode_record(outcome()))
    back, errors = read([path])
    assert len(back) == 1 and [e.offset for e in errors] == [0]


def edit(block: bytes, old: bytes, new: bytes) -> bytes:
    assert old in block
    return reseal(block.replace(old, new, 1))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            (b"<|im_start|>system", b"\xff|im_start|>system"),
            "section [PROMPT] is not valid UTF-8 at body byte 0",
        ),
        ((b'  "tier": "code"', b'  "tier": "code" '), ""),
        (
            (b'"stop_reason": "eos"', b'"stop_reason": "eoz"'),
            "invalid record (1 error(s)): model_call.stop_reason",
        ),
        ((b'session="s-1"', b'session="s-2"'), "header line does not match the record's fields"),
        ((b"v1 model_call", b"v1 model_cal_"), "unknown record kind 'model_cal_'"),
        ((b"[TOOLS]", b"[TOOLZ]"), "sections ["),
        ((b'"tier": "code",', b'"tier": "code",,'), "section [META] is not valid JSON"),
    ],
    ids=["utf8", "noop-space", "field", "header", "kind", "section-name", "json"],
)
def test_resealed_bad_records_are_skipped_with_a_reason(
    tmp_path: Path, change: tuple[bytes, bytes], reason: str
) -> None:
    good = encode_record(outcome())
    block = encode_record(model_call())
    old, new = change
    if len(new) != len(old):
        at = block.index(b"[META] ")
        n = int(block[at + 7 : block.index(b"\n", at)])
        block = block.replace(b"[META] %d\n" % n, b"[META] %d\n" % (n + len(new) - len(old)), 1)
    path = tmp_path / "log"
    path.write_bytes(good + edit(block, old, new) + good)
    back, errors = read([path])
    if not reason:  # whitespace inside META JSON is harmless
        assert len(back) == 3 and errors == []
        return
    assert back == [outcome(record_id=back[0].record_id, created_at=back[0].created_at)] * 2
    assert [e.offset for e in errors] == [len(good)] and errors[0].reason.startswith(reason)


def replace_section(block: bytes, name: bytes, body: bytes) -> bytes:
    """The block with section `name` given a new body (and length), resealed."""
    match = re.search(rb"\[" + re.escape(name) + rb"\] (\d+)\n", block)
    assert match is not None
    end = match.end() + int(match[1])
    return reseal(block[: match.start()] + b"[%s] %d\n%s" % (name, len(body), body) + block[end:])


def meta_without(field: str) -> bytes:
    meta = json.loads(re.search(rb"\[META\] \d+\n(.*?)\n\[PROMPT\]", encode_record(MC), re.S)[1])
    del meta[field]
    return json.dumps(meta).encode()


MC = model_call()


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        (replace_section(encode_record(MC), b"META", b"[1]"), "section [META] is not a JSON object"),
        (replace_section(encode_record(MC), b"TOOL CALLS", b"[{"), "section [TOOL CALLS] is not valid JSON"),
        (
            replace_section(encode_record(MC), b"META", meta_without("parsed")),
            "META field 'parsed' is missing",
        ),
        (
            replace_section(
                encode_record(MC), b"META", meta_without("parsed")[:-1] + b', "parsed": {}, "prompt": ""}'
            ),
            "META repeats prompt, which belongs in [PROMPT]",
        ),
        (
            encode_record(MC).replace(f"end {MC.record_id}".encode(), b"end " + b"0" * 32),
            "footer record id does not match the header",
        ),
        (
            reseal(encode_record(MC).replace(b"[PROMPT]", b"[prompt]")),
            "bad section line at byte",
        ),
    ],
    ids=[
        "meta-not-object",
        "tool-calls-json",
        "meta-missing-parsed",
        "meta-repeats-section",
        "footer-id",
        "section-line",
    ],
)
def test_bad_sections_are_skipped_with_a_reason(tmp_path: Path, block: bytes, reason: str) -> None:
    good = [outcome(turn_index=1), outcome(turn_index=2)]
    path = tmp_path / "log"
    path.write_bytes(encode_record(good[0]) + block + encode_record(good[1]))
    back, errors = read([path])
    assert back == good
    assert [e.offset for e in errors] == [len(encode_record(good[0]))] and reason in errors[0].reason


def test_unsupported_version_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(reseal(encode_record(outcome()).replace(b"entropi-log v1 ", b"entropi-log v2 ")))
    _, errors = read([path])
    assert [e.reason for e in errors] == ["unsupported log format v2 (this reader knows v1)"]


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert read([empty]) == ([], [])
    missing = tmp_path / "missing.log"
    back, errors = read([missing])
    assert back == [] and [(e.path, e.offset) for e in errors] == [(missing, 0)]
    assert errors[0].reason.startswith("cannot open the log file")
    with pytest.raises(LogFormatError, match=r"missing\.log: byte 0: cannot open"):
        list(read_records([missing]))
    assert log_files(missing) == [] and list(iter_log(missing)) == []
    assert log_files(tmp_path / "no" / "dir" / "log") == []


def test_reader_without_error_list_yields_good_records_before_raising(tmp_path: Path) -> None:
    path, records, _ = three_records(tmp_path)
    path.write_bytes(path.read_bytes() + b"trailing junk")
    reader = read_records([path])
    assert [next(reader) for _ in range(3)] == records
    with pytest.raises(LogFormatError, match="unexpected bytes outside any record"):
        next(reader)


# ---- the reader's fast decode path must accept and reject exactly what the strict path does -------------


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        (
            b"MESSAGES",
            b'[\n{"role": "user", "x": NaN}\n]',
            "invalid record (1 error(s)): model_call.messages.0",
        ),
        (
            b"MESSAGES",
            b'[\n{"role": "user", "x": 1e999}\n]',
            "invalid record (1 error(s)): model_call.messages.0",
        ),
        (b"TOOLS", b'[\n{"a": [1, -Infinity]}\n]', "invalid record (1 error(s)): model_call.tools.0"),
        (b"MESSAGES", b'[\n{"role": "user"},\n["not", "an", "object"]\n]', "invalid record (1 error(s))"),
        (b"TOOLS", b'{"type": "function"}', "invalid record (1 error(s)): model_call.tools"),
        (b"MESSAGES", b'[\n{"role": "user"}\n', "section [MESSAGES] is not valid JSON"),
        (b"TOOLS", b"[\xff]", "section [TOOLS] is not valid UTF-8 at body byte 1"),
    ],
    ids=["nan", "overflow", "infinity", "not-object", "not-list", "json", "utf8"],
)
def test_bad_bulk_sections_give_the_strict_reason(
    tmp_path: Path, name: bytes, body: bytes, reason: str
) -> None:
    path = tmp_path / "log"
    path.write_bytes(replace_section(encode_record(MC), name, body) + encode_record(MC))
    back, errors = read([path])
    assert back == [MC]
    assert [e.offset for e in errors] == [0] and errors[0].reason.startswith(reason), errors[0].reason


def test_bulk_sections_read_back_equal_with_floats_nesting_and_odd_text(tmp_path: Path) -> None:
    messages = [
        {"role": "user", "content": "NaN Infinity 1e999 \u2028 \ud7ff", "n": 1.5e300, "m": -0.0, "k": 10**30},
        {
            "role": "assistant",
            "tool_calls": [{"function": {"name": "x", "arguments": {"a": [None, True, {}]}}}],
        },
        {},
    ]
    record = model_call(messages=messages, tools=[])
    back, errors = read([write(tmp_path / "log", [record]).path])
    assert errors == [] and back == [record]
    assert back[0].messages == messages and type(back[0].messages[0]["k"]) is int


# ---- shared payloads (`read_records(share=True)`): a session's re-logged history is read once -----------


def session_calls(session: str, n: int, *, changed_at: int | None = None) -> list[ModelCallRecord]:
    """A session's model calls whose logged history grows call by call; at call `changed_at` an earlier
    message is rewritten (as pruning or compaction does), so the history is no longer a prefix."""
    history: list[dict[str, Any]] = [{"role": "system", "content": "sys"}]
    calls = []
    for i in range(n):
        call = {"id": "c", "function": {"name": "read_file", "arguments": {"path": f"{i}.py", "n": 1.5}}}
        history = [
            *history,
            {"role": "user", "content": f"q{i} é"},
            {"role": "assistant", "tool_calls": [call]},
        ]
        if changed_at == i:
            history = [history[0], {"role": "user", "content": "[pruned]"}, *history[2:]]
        calls.append(model_call(session_id=session, turn_index=i, messages=[dict(m) for m in history]))
    return calls


def test_shared_reading_gives_equal_records_and_shares_the_history(tmp_path: Path) -> None:
    a, b = session_calls("s-a", 6, changed_at=3), session_calls("s-b", 5)
    records: list[Any] = [r for pair in zip(a, b, strict=False) for r in pair] + a[5:]  # interleaved
    records += [outcome(turn_index=i, detail="d" * 300) for i in range(3000)]  # past the first read window
    big = model_call(session_id="s-a", turn_index=9, messages=[*a[-1].messages, {"content": "x" * (3 << 20)}])
    records += [big, model_call(session_id="s-a", turn_index=10, messages=big.messages), a[0]]
    path = tmp_path / "log"
    write(path, records)
    plain, shared = list(read_records([path])), list(read_records([path], share=True))
    assert plain == shared == records
    assert shared[2].messages[0] is shared[0].messages[0]  # one dict for the session's system message
    assert shared[2].tools[0] is shared[0].tools[0] and shared[2].tools is not shared[0].tools
    assert shared[-2].messages is not shared[-3].messages  # each record has its own lists


@pytest.mark.parametrize(
    "extra",
    [b'{"role": "user", "x": NaN}', b"[1]", b'{"role": }', b"", b'{"a": 1},\n{"b": 2}\n'],
    ids=["nan", "not-object", "json", "empty", "odd-shape"],
)
def test_a_bad_object_after_a_shared_history_is_refused_as_the_strict_path_does(
    tmp_path: Path, extra: bytes
) -> None:
    first, second = session_calls("s-1", 2)
    body = re.search(rb"\[MESSAGES\] (\d+)\n", encode_record(first))
    assert body is not None
    old = encode_record(first)[body.end() : body.end() + int(body[1])]
    bad = replace_section(encode_record(second), b"MESSAGES", old[:-2] + b",\n" + extra + b"\n]")
    path = tmp_path / "log"
    path.write_bytes(encode_record(first) + bad + encode_record(second))
    errors: list[LogReadError] = []
    plain = list(read_records([path], errors=errors))
    shared_errors: list[LogReadError] = []
    assert list(read_records([path], errors=shared_errors, share=True)) == plain
    assert shared_errors == errors
    assert (len(plain), len(errors)) == ((3, 0) if extra == b'{"a": 1},\n{"b": 2}\n' else (2, 1))
