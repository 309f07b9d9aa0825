"""Metric definitions on hand-written cases: argument normalization, every per-case metric, aggregation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from metrics_support import BASH, EDIT, GREP, READ, TODO, ab_cases, base_results, call, case, result

from entropi.evaluation.arguments import arguments_problem, normalize_string, offered_schema, values_equal
from entropi.evaluation.bfcl import default_bfcl_dir, load_bfcl
from entropi.evaluation.cases import EvalCase
from entropi.evaluation.metrics import (
    RATE_NAMES,
    MetricsError,
    bootstrap_rate,
    pair_results,
    score_case,
    summarize,
    write_metric_files,
)
from entropi.evaluation.results import CallResult

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}


# ---- value equality --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "actual", "schema", "equal"),
    [
        # paths and strings
        ("src/app/cart.py", "./src/app/cart.py", STRING, True),
        ("src/app/cart.py", "././src/app/cart.py", STRING, True),
        ("src/app/cart.py", "SRC/App/Cart.PY", STRING, True),
        ("src/app/cart.py", "src/app/cart.pyc", STRING, False),
        ("src/app/cart.py", "/home/me/src/app/cart.py", STRING, False),
        ("src/app/cart.py", "src\\app\\cart.py", STRING, False),  # backslashes are not separators
        ("New York, NY", "new york ny", STRING, True),
        ("pytest -q", "pytest   -q", STRING, True),
        ("pytest -q", "pytest -q\n", STRING, True),
        ("total_price", "total-price", STRING, True),
        ("total_price", "TotalPrice", STRING, True),
        ("x^2*y", "x2y", STRING, True),
        ("grep 'TODO'", 'grep "TODO"', STRING, True),  # single quotes read as double quotes
        ("1.5", "15", STRING, True),  # BFCL's normalization is lossy: "." is dropped
        ("cart", "carts", STRING, False),
        ("", " ", STRING, True),
        # numbers
        (5, 5.0, NUMBER, True),
        (5.0, 5, INTEGER, True),
        (0.1 + 0.2, 0.3, NUMBER, False),  # value equality, no tolerance
        (5, "5", INTEGER, False),
        ("5", 5, NUMBER, False),
        (5, "5", None, False),  # no schema: types are strict
        (5, "5", STRING, True),  # a string parameter compares as text
        ("5", 5.0, STRING, True),
        (2.5, "2.5", STRING, True),
        (5, "5", {"type": ["string", "null"]}, True),
        # booleans
        (True, True, {"type": "boolean"}, True),
        (True, 1, None, False),
        (False, 0, NUMBER, False),
        (True, "true", None, False),
        (True, "True", STRING, False),  # a bool is not a number, so not turned into text
        # lists and dicts
        ([1, 2], [1.0, 2], None, True),
        ([1, 2], [2, 1], None, False),
        ([1, 2], [1, 2, 3], None, False),
        (["A.py", "b.py"], ["./a.py", "B.PY"], {"type": "array", "items": STRING}, True),
        (["1", 2], [1, "2"], {"type": "array", "items": STRING}, True),
        (["1", 2], [1, "2"], {"type": "array"}, False),
        ((1, 2), [1, 2], None, True),  # a tuple answer matches a JSON list
        ({"a": 1, "b": "X"}, {"b": "x", "a": 1.0}, None, True),
        ({"a": 1}, {"a": 1, "b": 2}, None, False),
        ({"n": 3}, {"n": "3"}, {"type": "object", "properties": {"n": STRING}}, True),
        ({"n": 3}, {"n": "3"}, {"type": "object", "properties": {"n": INTEGER}}, False),
        ([{"path": "a.py"}], [{"path": "./A.py"}], None, True),
        # null
        (None, None, None, True),
        (None, "", STRING, False),
        ("", None, None, False),
    ],
)
def test_values_equal(expected, actual, schema, equal):
    assert values_equal(expected, actual, schema) is equal
    assert values_equal(actual, expected, schema) is equal  # symmetric


def test_normalize_string():
    assert normalize_string("./Src/App_Cart-Old.py") == "srcappcartoldpy"
    assert normalize_string("a\tb\u00a0c") == "abc"  # any Unicode whitespace
    assert normalize_string("../x") == "x"  # only a leading "./" is named, but "." and "/" go anyway


# ---- whole-call argument rules ---------------------------------------------------------------------------

READ_SCHEMA = offered_schema(None, READ)
WEATHER = {
    "type": "object",
    "properties": {"city": STRING, "days": INTEGER, "unit": STRING, "ratio": NUMBER},
    "required": ["city"],
}


@pytest.mark.parametrize(
    ("arguments", "expected", "accepted", "problem"),
    [
        ({"path": "src/a.py"}, {"path": "src/a.py"}, {}, None),
        ({"path": "src/a.py", "start_line": 3}, {"path": "src/a.py"}, {}, None),  # subset match
        ({"start_line": 3}, {}, {}, "missing required 'path'"),
        ({"path": "a.py", "file": "a.py"}, {}, {}, "unknown argument 'file'"),
        ({"path": "a.py"}, {"start_line": 1}, {}, "missing argument 'start_line'"),
        ({"path": "a.py"}, {}, {"start_line": ["", 1]}, None),  # may be omitted
        ({"path": "a.py", "start_line": 1.0}, {}, {"start_line": ["", 1]}, None),
        (
            {"path": "a.py", "start_line": 2},
            {},
            {"start_line": ["", 1]},
            "start_line=2, expected one of ['', 1]",
        ),
        ({"path": "a.py"}, {}, {"start_line": [1]}, "missing argument 'start_line'"),
        ({"path": "b.py"}, {}, {"path": ["a.py", "./b.py"]}, None),
    ],
)
def test_arguments_problem_entropi_schema(arguments, expected, accepted, problem):
    assert arguments_problem(arguments, READ_SCHEMA, expected, accepted) == problem


def test_arguments_problem_custom_schema_and_no_schema():
    assert arguments_problem({"city": "Paris", "days": 3.0}, WEATHER, {}, {"days": [3]}) is None
    assert arguments_problem({"days": 3}, WEATHER) == "missing required 'city'"
    assert arguments_problem({"city": "x", "days": "3"}, WEATHER, {}, {"days": [3]}) is not None
    assert arguments_problem({"anything": 1}, None) is None  # tool not offered: only expectations apply
    assert offered_schema([{"name": "f", "description": ""}], "f") == {"type": "object", "properties": {}}
    assert arguments_problem({"x": 1}, offered_schema([{"name": "f"}], "f")) == "unknown argument 'x'"


# ---- per-case metrics ------------------------------------------------------------------------------------


def test_selected_args_and_relevance():
    c = case(expected_tool=READ, expected_args={"path": "src/app/cart.py"})
    good = score_case(c, result(calls=[call(READ, path="./SRC/app/cart.py", start_line=1)]))
    assert (good.selected, good.args_match, good.relevance, good.valid, good.passed) == (True,) * 5
    wrong_arg = score_case(c, result(calls=[call(READ, path="src/app/order.py")]))
    assert (wrong_arg.selected, wrong_arg.args_match, wrong_arg.passed) == (True, False, False)
    assert "order.py" in wrong_arg.detail
    wrong_tool = score_case(c, result(calls=[call(GREP, pattern="cart"), call(READ, path="src/app/cart.py")]))
    assert (wrong_tool.selected, wrong_tool.args_match, wrong_tool.relevance) == (False, False, True)
    silent = score_case(c, result(content="The cart is fine."))
    assert (silent.selected, silent.args_match, silent.relevance, silent.valid) == (False, False, False, None)


def test_case_tools_schema_is_the_one_checked():
    tools = [{"name": "get_weather", "description": "", "parameters": WEATHER}]
    c = case(tier="normal", tools=tools, expected_tool="get_weather", accepted_args={"city": ["Paris"]})
    assert score_case(c, result(calls=[call("get_weather", city="paris")])).args_match is True
    assert score_case(c, result(calls=[call("get_weather", city="paris", path="x")])).args_match is False


def test_validity():
    c = case()
    assert score_case(c, result(content="hi")).valid is None  # no call attempted: does not apply
    assert score_case(c, result(calls=[call(READ, path="a.py")])).valid is True
    bad = score_case(c, result(calls=[call(READ, path="a.py"), call("nope", problem="unknown_tool")]))
    assert bad.valid is False and "unknown_tool" in bad.detail
    garbled = score_case(c, result(parse_issues=["invalid_json"]))
    assert garbled.valid is False and garbled.passed is False
    noise = score_case(c, result(content="hi", parse_issues=["stray_think_close"]))
    assert noise.valid is None  # a parse issue that is not a call attempt


def test_irrelevance_forbidden_and_substr():
    no_tool = case(expected_no_tool=True, expected_substr="HELLO")
    answered = score_case(no_tool, result(content="hello there"))
    assert (answered.irrelevance, answered.substr_ok, answered.passed) == (True, True, True)
    malformed = score_case(no_tool, result(content="hello", parse_issues=["unterminated_tool_call"]))
    assert malformed.irrelevance is False  # a failed attempt is still an attempt
    assert score_case(no_tool, result(content="Hi!")).substr_ok is False

    dont_guess = case(forbidden_tools=[EDIT, BASH], tier="code")
    assert score_case(dont_guess, result(calls=[call(READ, path="a.py")])).forbidden_ok is True
    late = score_case(dont_guess, result(calls=[call(READ, path="a.py"), call(BASH, command="pytest")]))
    assert late.forbidden_ok is False and "bash.execute" in late.detail


def test_error_fails_every_metric_of_the_case():
    c = case(expected_tool=READ, forbidden_tools=[BASH], expected_substr=["x"], expected_tier="thinking")
    s = score_case(c, result(error="ContextOverflow: too long", thinking="I will read a.py."))
    assert (s.selected, s.args_match, s.relevance, s.forbidden_ok, s.substr_ok, s.routed_ok) == (False,) * 6
    assert s.valid is None and s.coherence is None and s.irrelevance is None
    assert s.passed is False and "ContextOverflow" in s.detail
    assert score_case(case(), result(error="boom")).passed is False  # even with nothing to check
    no_tool = score_case(case(expected_no_tool=True), result(error="boom"))
    assert no_tool.irrelevance is False


def test_task_and_router_cases():
    task = case("task:t1", tier="code", task="t1", expected_tool=READ)
    ok = score_case(
        task, result("task:t1", kind="task", task_passed=True, first_tool=READ, calls=[call(READ)])
    )
    assert (ok.task_passed, ok.selected, ok.relevance, ok.passed) == (True, True, True, True)
    assert ok.args_match is None and ok.valid is None  # a task result keeps only the first tool's name
    only_first = score_case(task, result("task:t1", kind="task", task_passed=None, first_tool=READ))
    assert only_first.selected is True and only_first.task_passed is False

    router = EvalCase(id="r1", expected_tier="simple", input="what is 2+2")
    assert score_case(router, result("r1", kind="router", routed_tier="simple")).routed_ok is True
    wrong = score_case(router, result("r1", kind="router", routed_tier="code"))
    assert wrong.routed_ok is False and "routed to code" in wrong.detail
    assert score_case(router, result("r1", kind="router")).routed_ok is None  # not routed: does not apply
    assert score_case(router, result("r1", kind="router", error="boom")).routed_ok is False


@pytest.mark.parametrize(
    ("thinking", "calls", "label"),
    [
        ("I will read src/app/cart.py first.", [call(READ, path="./src/app/cart.py")], "coherent"),
        ("I will read src/app/cart.py first.", [call(GREP, pattern="total")], "incoherent"),
        ("I will read src/app/cart.py first.", [call(READ, path="src/app/order.py")], "incoherent"),
        ("I will read src/app/cart.py first.", [], "incoherent"),  # stated a call, made none
        ("No tool is needed, I can answer directly.", [], "coherent"),
        ("No tool is needed, I can answer directly.", [call(BASH, command="ls")], "incoherent"),
        ("Hmm, interesting question.", [call(READ, path="a.py")], "unclear"),  # a call but no stated intent
        ("Let me think. The total might be off.", [call(GREP, pattern="total")], "unclear"),
        ("Hmm, interesting question.", [], None),  # no intent and no call: does not apply
        ("", [call(READ, path="a.py")], None),  # no thinking: does not apply
        ("   \n", [call(READ, path="a.py")], None),
        ("First I will make a todo list.", [call(TODO, action="add", items=[])], "coherent"),
    ],
)
def test_coherence(thinking, calls, label):
    s = score_case(case(), result(thinking=thinking, calls=calls))
    assert s.coherence == label
    if label is not None:
        assert [s.value(x) for x in ("coherent", "incoherent", "unclear")].count(True) == 1
    assert s.passed is (label != "incoherent")  # unclear does not fail a case; incoherent does


def test_score_and_pairing_errors():
    with pytest.raises(MetricsError, match="scored against"):
        score_case(case("a"), result("b"))
    cases = [case("a"), case("b")]
    pairs = pair_results(cases, [result("b"), result("a")])
    assert [(c.id, r.case_id) for c, r in pairs] == [("b", "b"), ("a", "a")]
    with pytest.raises(MetricsError, match="unknown case 'z'"):
        pair_results(cases, [result("z")])
    with pytest.raises(MetricsError, match="two results"):
        pair_results(cases, [result("a"), result("a")])


# ---- aggregation -----------------------------------------------------------------------------------------


def test_bootstrap_rate():
    assert bootstrap_rate([None, None]) == {"rate": None, "lo": None, "hi": None, "n": 0, "k": 0}
    values = [True] * 7 + [False] * 3 + [None] * 5
    r = bootstrap_rate(values, seed=1)
    assert (r["rate"], r["n"], r["k"]) == (0.7, 10, 7)
    assert 0.3 <= r["lo"] < 0.7 < r["hi"] <= 1.0
    assert bootstrap_rate(values, seed=1) == r  # seeded
    assert bootstrap_rate([True] * 4)["lo"] == 1.0  # percentile bootstrap: no spread without failures
    assert bootstrap_rate([True, False], n_boot=0)["lo"] is None


def test_summarize_fixed_set():
    summary = summarize(zip(ab_cases(), base_results(), strict=True), n_boot=200)
    assert set(summary) == {"overall", "per_tier", "per_tag"}
    overall = summary["overall"]
    assert set(RATE_NAMES) <= set(overall)
    assert overall["n_cases"] == 6
    assert (overall["selected"]["k"], overall["selected"]["n"]) == (1, 3)  # investigate, read-cart, task
    assert (overall["args_match"]["k"], overall["args_match"]["n"]) == (0, 2)  # the task's does not apply
    assert (overall["valid"]["k"], overall["valid"]["n"]) == (3, 3)
    assert overall["irrelevance"]["rate"] == 1.0
    assert overall["routed_ok"]["rate"] == 0.0 and overall["router"]["accuracy"] == overall["routed_ok"]
    assert (overall["incoherent"]["k"], overall["incoherent"]["n"]) == (1, 1)
    assert overall["coherent"]["rate"] == 0.0 and overall["unclear"]["rate"] == 0.0
    assert (overall["passed"]["k"], overall["passed"]["n"]) == (1, 6)
    confusion = overall["router"]["confusion"]
    assert confusion["code"]["simple"] == 1
    assert sum(sum(row.values()) for row in confusion.values()) == 1
    assert set(confusion) == {"thinking", "normal", "code", "simple"}
    assert overall["latency"]["ttft_ms_p50"] == 200.0 and overall["latency"]["decode_tok_s_mean"] == 25.0
    assert overall["malformed"] == 0
    assert list(summary["per_tier"]) == ["thinking", "code"]
    assert summary["per_tier"]["code"]["n_cases"] == 3  # fix-bug, the router case, the task
    assert summary["per_tier"]["code"]["task_passed"]["rate"] == 0.0
    assert summary["per_tier"]["thinking"]["task_passed"]["rate"] is None
    assert summary["per_tag"]["common"]["n_cases"] == 2
    assert summarize(zip(ab_cases(), base_results(), strict=True), n_boot=200) == summary  # deterministic
    json.dumps(summary)  # plain JSON


def test_summarize_counts_malformed_and_errors():
    cases = [case("a"), case("b"), case("c")]
    results = [
        result("a", parse_issues=["invalid_json", "missing_name", "stray_think_close"]),
        result("b", error="boom"),
        result("c", calls=[call(READ, path="a.py")]),
    ]
    overall = summarize(zip(cases, results, strict=True), n_boot=50)["overall"]
    assert (overall["malformed"], overall["malformed_cases"], overall["n_errors"]) == (2, 1, 1)
    assert (overall["valid"]["k"], overall["valid"]["n"]) == (1, 2)
    assert overall["latency"]["ttft_ms_p50"] is None


def test_write_metric_files(tmp_path):
    summary = summarize(zip(ab_cases(), base_results(), strict=True), n_boot=100)
    paths = write_metric_files(tmp_path / "out", summary)
    assert [p.name for p in paths] == [
        "tool_accuracy.json",
        "thinking_action_coherence.json",
        "per_tier_scores.json",
    ]
    tool = json.loads(paths[0].read_text())
    assert set(tool["overall"]) == {
        "validity",
        "selection",
        "args",
        "relevance",
        "irrelevance",
        "forbidden",
        "malformed",
        "malformed_cases",
    }
    assert tool["overall"]["selection"]["k"] == 1 and set(tool["per_tier"]) == {"thinking", "code"}
    coherence = json.loads(paths[1].read_text())
    assert set(coherence["overall"]) == {"coherent", "incoherent", "unclear"}
    assert coherence["per_tier"]["thinking"]["incoherent"]["rate"] == 1.0
    per_tier = json.loads(paths[2].read_text())
    assert per_tier["per_tier"]["code"]["task_passed"]["k"] == 0
    assert per_tier["per_tier"]["code"]["router"]["confusion"]["code"]["simple"] == 1


# ---- reference: BFCL's own answers pass BFCL's rules -----------------------------------------------------

BFCL_DIR = default_bfcl_dir(Path(__file__).resolve().parents[3])


@pytest.mark.skipif(not (BFCL_DIR / "BFCL_v4_simple_python.jsonl").is_file(), reason="no BFCL data")
def test_bfcl_ground_truth_calls_match():
    """A call built from each answer's first non-omitted alternative passes; one unknown argument fails."""
    scored = 0
    for c in load_bfcl(BFCL_DIR, subsets=("simple_python", "multiple", "live_simple")):
        if any(not alts for alts in c.accepted_args.values()):
            continue  # BFCL data with no acceptable value at all (e.g. live_simple_106-63-0): unanswerable
        args = {k: next(a for a in alts if a != "") for k, alts in c.accepted_args.items() if alts != [""]}
        gold = score_case(c, result(c.id, calls=[CallResult(name=c.expected_tool, arguments=args)]))
        assert gold.args_match, (c.id, gold.detail)
        wrong = CallResult(name=c.expected_tool, arguments={**args, "not_a_parameter": 1})
        extra = score_case(c, result(c.id, calls=[wrong]))
        assert extra.args_match is False, c.id
        scored += 1
    assert scored > 800
