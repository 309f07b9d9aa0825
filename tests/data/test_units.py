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
from entropi.data.pairs import normalized, repaired_call
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
