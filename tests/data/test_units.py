"""The extractor's parts on their own: turn joining, labels, repair, gold steps, dedup, replay parsing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from data_support import Turn, call, run_session, small_project, think

from entropi.config import known_tools
from entropi.data.coherence import Intent, coherence
from entropi.data.dedup import Deduper
from entropi.data.gold import gold_outputs, gold_reasoning, gold_step
from entropi.data.labels import label_turn
from entropi.data.pairs import normalized, prompt_key, repaired_call
from entropi.data.replay import ReplayError, iter_replay, replay_count, sample
from entropi.data.turns import TurnJoiner, join_turns
from entropi.inference.output_parser import parse_output
from entropi.modellog import OutcomeRecord, ToolResultRecord, iter_log


@pytest.fixture(scope="module")
def two_sessions(tmp_path_factory) -> Path:
    root = small_project(tmp_path_factory.mktemp("units") / "p")
    read = think("I'll read `app.py`.", call("filesystem.read_file", path="app.py"))
    run_session(root, [Turn("q1", [read, "a1"], feedback="good"), Turn("q2", ["a2"])])
    run_session(
        root, [Turn("q3", [think("I'll list the files.", call("filesystem.read_file", path="app.py")), "a3"])]
    )
    return root / ".entropi" / "model.log"


def test_turns_join_calls_results_and_outcomes(two_sessions):
    stats: Counter[str] = Counter()
    turns = list(join_turns(iter_log(two_sessions), stats))
    assert [(t.query, len(t.calls)) for t in turns] == [("q1", 2), ("q2", 1), ("q3", 2)]
    first = turns[0]
    assert first.calls[0].results["call_0"].status == "ok" and first.outcomes[0].signal == "good"
    assert stats["records_model_call"] == 5 and stats["records_tool_result"] == 2
    assert first.source == "log"


def test_orphans_and_evicted_turns_are_counted_not_lost(two_sessions):
    records = list(iter_log(two_sessions))
    stats: Counter[str] = Counter()
    joiner = TurnJoiner(stats, max_open=1)
    orphan = ToolResultRecord(
        session_id="x",
        turn_index=0,
        call_record_id="f" * 32,
        tool_call_id="c",
        name="n",
        arguments={},
        status="ok",
        content="",
        duration_ms=0,
    )
    late = OutcomeRecord(session_id="zz", turn_index=9, signal="bad", passed=False)
    closed = [t for r in [*records, orphan, late] for t in joiner.feed(r)] + joiner.finish()
    assert sum(len(t.calls) for t in closed) == 5
    assert stats["orphan_tool_result"] == 1 and stats["outcome_without_model_call"] == 1
    assert stats["turns_closed_early"] >= 1
    with pytest.raises(ValueError, match="max_open"):
        TurnJoiner(stats, max_open=0)


def test_labels_of_a_good_and_an_incoherent_turn(two_sessions):
    turns = list(join_turns(iter_log(two_sessions), Counter()))
    good, answer = label_turn(turns[0])
    assert good.good and good.valid and good.executed_ok and good.coherent and good.outcome == "good"
    assert answer.good and answer.coherence.label == "unclear" and answer.tools_called == ()
    incoherent = label_turn(turns[2])[0]
    assert incoherent.coherence.label == "incoherent" and incoherent.rejection == "intent_mismatch"
    assert not incoherent.good and incoherent.approval == "not_asked"


READ_SCHEMA = {"filesystem.read_file": known_tools()["filesystem.read_file"]}
HANDOFF = {"entropi.handoff": known_tools()["entropi.handoff"]}


@pytest.mark.parametrize(
    ("intent", "first", "offered", "expected"),
    [
        (
            Intent("tool", "filesystem.read_file", {"path": "a.py"}),
            ("bash.execute", {"command": "cat a.py"}),
            READ_SCHEMA,
            ("filesystem.read_file", {"path": "a.py"}),
        ),
        (
            Intent("tool", "filesystem.read_file", {"path": "a.py"}),
            ("filesystem.read_file", {"file": "a.py", "start_line": 2}),
            READ_SCHEMA,
            ("filesystem.read_file", {"path": "a.py", "start_line": 2}),
        ),
        (Intent("tool", "filesystem.read_file"), ("bash.execute", {"command": "ls"}), READ_SCHEMA, None),
        (Intent("tool", "filesystem.read_file", {"path": "a.py"}), None, {}, None),
        (Intent("none"), ("bash.execute", {"command": "ls"}), READ_SCHEMA, None),
        (
            Intent("tool", "entropi.handoff", {"tier": "code"}, "I'll hand off to the code tier."),
            None,
            HANDOFF,
            ("entropi.handoff", {"tier": "code", "reason": "I'll hand off to the code tier."}),
        ),
    ],
)
def test_repair_builds_only_schema_valid_coherent_calls(intent, first, offered, expected):
    assert repaired_call(intent, first, offered) == expected


def test_normalized_ignores_case_whitespace_argument_order_and_json_text():
    a = {
        "reasoning_content": "I'll  Read it",
        "content": "",
        "tool_calls": [{"function": {"name": "t", "arguments": {"b": 1, "a": 2}}}],
    }
    b = {
        "reasoning_content": "i'll read it",
        "content": "",
        "tool_calls": [{"function": {"name": "t", "arguments": json.dumps({"a": 2, "b": 1})}}],
    }
    assert normalized(a) == normalized(b)
    assert normalized(a) != normalized({**b, "content": "x"})


def test_every_gold_step_states_its_call_and_parses_back(suite):
    for task in suite:
        outputs = gold_outputs(task)
        assert len(outputs) == len(task.gold.tool_calls) + 1
        for raw, gold in zip(outputs, task.gold.tool_calls, strict=False):
            parsed = parse_output(raw)
            assert not parsed.issues and [(c.name, c.arguments) for c in parsed.tool_calls] == [
                (gold.name, gold.arguments)
            ]
            assert coherence(parsed.thinking, (gold.name, gold.arguments)).label == "coherent", raw
        final = parse_output(outputs[-1])
        assert final.content == task.gold.final_answer and coherence(final.thinking, None).label == "coherent"


def test_gold_step_follows_the_prefix_or_gives_none(suite):
    task = next(t for t in suite if len(t.gold.tool_calls) >= 2)
    first = task.gold.tool_calls[0]
    step = gold_step(task, [(first.name, json.dumps(first.arguments, sort_keys=True, separators=(",", ":")))])
    assert step["tool_calls"][0]["function"]["name"] == task.gold.tool_calls[1].name
    assert gold_step(task, [("git.status", "{}")]) is None or first.name == "git.status"
    assert gold_reasoning("x.unknown", {}) == "I'll call x.unknown."


def test_dedup_exact_near_and_distinct():
    d = Deduper()
    text = " ".join(f"word{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(300))  # 300 distinct words
    assert d.check("a", text) is None
    assert d.check("a", "anything") == "exact"
    assert d.check("b", text.upper() + " 42") == "near"  # case and digits fold, one shingle more
    assert d.check("c", "a completely different row about git history and commit messages") is None
    assert d.check("d", "short") is None and d.check("e", "short") == "near"
    with pytest.raises(ValueError, match="multiple"):
        Deduper(num_perm=10, bands=3)


def test_replay_parsing_and_sampling(tmp_path):
    path = tmp_path / "r.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": None}]}
        for i in range(20)
    ]
    path.write_text(
        "\n".join(json.dumps(r) for r in rows) + '\n\n{"messages": [{"role": "user", "content": 3}]}\n'
    )
    skipped: Counter[str] = Counter()
    items = list(iter_replay(path, skipped))
    assert len(items) == 20 and items[0][1][1] == {"role": "assistant", "content": ""}
    assert skipped == {"content_not_text": 1}
    assert sample(path, 5, 1, Counter()) == sample(path, 5, 1, Counter()) != sample(path, 5, 2, Counter())
    assert len(sample(path, 50, 1, Counter())) == 20
    assert replay_count(90, 0.1) == 10 and replay_count(0, 0.5) == 0
    with pytest.raises(ValueError, match="replay fraction"):
        replay_count(10, 1.0)
    with pytest.raises(ReplayError, match="cannot read"):
        list(iter_replay(tmp_path / "missing.jsonl", skipped))


def _random_json(rng, depth: int = 0):
    kind = rng.randrange(9 if depth < 2 else 7)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, 1, -3, 2**70, 7])
    if kind == 2:
        return rng.choice([0.0, -0.0, 1.0, 2.5, -1e300, 3.0])
    if kind in (3, 4, 5, 6):
        return rng.choice(["", "a.py", "code", "add", "done", "thinking", "x" * 50])
    if kind == 7:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["path", "tier", "items", "n", "x"]): _random_json(rng, depth + 1) for _ in range(3)}


SUBSET_SCHEMAS = [
    True,
    False,
    {"type": "object"},
    {"type": ["integer", "null"]},
    {"type": "number", "minimum": 1},
    {"type": "array", "items": {"type": "string", "enum": ["a.py", "code"]}, "minItems": 2},
    {"properties": {"n": {"type": "integer", "minimum": 0}}, "additionalProperties": {"type": "string"}},
    {"type": "object", "required": ["path"], "properties": {"path": False}, "additionalProperties": True},
    {"enum": []},
]


def test_the_fast_schema_check_agrees_with_jsonschema():
    """On every known tool's parameters and odd schemas of the subset, for all kinds of JSON values."""
    import random

    from jsonschema import Draft202012Validator

    from entropi.data.schema_check import compile_check

    schemas = [t["parameters"] for t in known_tools().values()] + SUBSET_SCHEMAS
    rng = random.Random(3)
    instances = [_random_json(rng) for _ in range(3000)]
    instances += [{"path": "a.py"}, {"path": 1}, {"tier": "code", "reason": "x"}, {}, [1, 2], [], "s", 1.0]
    for schema in schemas:
        check = compile_check(schema)
        assert check is not None, schema
        validator = Draft202012Validator(schema)
        for instance in instances:
            assert check(instance) == (not list(validator.iter_errors(instance))), (schema, instance)
        for args in (dict(i) for i in instances if isinstance(i, dict)):  # tool calls' arguments
            assert check(args) == validator.is_valid(args)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^a"},
        {"$ref": "#/$defs/x"},
        {"type": "strin"},
        {"enum": [1, True]},
        {"type": "object", "properties": {"p": {"maxLength": 3}}},
        {"additionalProperties": None},
        {"minimum": True},
        [],
    ],
)
def test_schemas_outside_the_fast_subset_go_to_jsonschema(schema):
    from entropi.data.schema_check import compile_check

    assert compile_check(schema) is None


@pytest.mark.parametrize("threshold", [0.3, 0.7, 0.9, 1.0])
def test_dedup_band_pruning_decides_as_plain_lsh(threshold):
    """Candidates sharing too few bands to reach the threshold are skipped: the decisions are those of
    LSH banding comparing every kept row that shares a band, on many similar rows."""
    import random

    import numpy as np

    rng = random.Random(9)
    words = [rng.choice(["alpha", "beta", "gamma", "delta", "eps"]) for _ in range(60)]
    texts = []
    for _ in range(600):
        w = list(words)
        for _ in range(rng.randrange(14)):
            w[rng.randrange(len(w))] = rng.choice(["alpha", "iota", "kappa", "x"])
        texts.append(" ".join(w))
    d = Deduper(threshold=threshold)
    kept = np.empty((0, 64), dtype=np.uint32)
    for i, text in enumerate(texts):
        sig = d.signature(text)
        shares_a_band = (kept.reshape(-1, 16, 4) == sig.reshape(16, 4)).all(axis=2).any(axis=1)
        near = bool((shares_a_band & ((kept == sig).mean(axis=1) >= threshold)).any())
        if not near:
            kept = np.vstack([kept, sig])
        assert d.check(f"row {i}", text) == ("near" if near else None)
    assert 0 < len(kept) < len(texts)


def test_turns_closed_by_a_later_turn_close_in_the_order_they_are_open():
    from entropi.modellog import BaseModelInfo, ModelCallRecord, ParsedInfo

    def call(session: str, turn: int) -> ModelCallRecord:
        ts = "2026-11-22T10:00:00.000Z"
        return ModelCallRecord(
            session_id=session, turn_index=turn, call_index=0, started_at=ts, finished_at=ts, tier="code",
            base_model=BaseModelInfo(id="m", path="/m", sha256="0" * 64, arch="llama"), sampling={},
            messages=[{"role": "user", "content": f"q{turn}"}], tools=[], prompt="", raw_output="",
            parsed=ParsedInfo(), stop_reason="eos", timings={},
        )  # fmt: skip

    joiner = TurnJoiner(Counter())
    assert joiner.feed(call("s", 1)) == [] and joiner.feed(call("s", 0)) == []
    assert joiner.feed(call("t", 0)) == []
    closed = joiner.feed(call("s", 2))  # closes s/1 and s/0, in the order they were opened
    assert [(t.session_id, t.turn_index) for t in closed] == [("s", 1), ("s", 0)]
    assert [(t.session_id, t.turn_index) for t in joiner.finish()] == [("t", 0), ("s", 2)]


def test_a_gold_turn_and_a_model_turn_on_the_same_conversation_share_a_prompt_key():
    # The reference solver logs no rendered prompt and the llama.cpp runtime does: the key is the
    # conversation, so a self-play turn can be paired with the gold turn for its prompt.
    messages = [{"role": "system", "content": "You are entropi."}, {"role": "user", "content": "plan it"}]
    assert prompt_key("thinking", messages) == prompt_key("thinking", [dict(m) for m in messages])
    assert prompt_key("thinking", messages) != prompt_key("code", messages)
    assert prompt_key("thinking", messages) != prompt_key("thinking", messages[:1])
