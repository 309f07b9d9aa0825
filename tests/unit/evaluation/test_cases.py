"""Eval cases: the model's validation rules, loader errors naming file:line and field, the shipped golden sets
(sizes, tags, tools that exist in each tier, prompts distinct from every other shipped prompt), the task suite
as cases and the general-chat file."""

import json
import re
import tomllib
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from entropi.config import TIERS, defaults_dir, known_tools, load_config
from entropi.evaluation.cases import (
    CASE_FILES,
    GENERAL_CHAT_FILE,
    CaseError,
    EvalCase,
    builtin_cases,
    data_dir,
    load_cases,
    load_general_chat,
    task_cases,
)
from entropi.tasks import load_tasks

REPO = Path(__file__).resolve().parents[3]
GOLDEN_TAGS = {"common", "edge", "adversarial", "no_tool", "dont_guess", "multi_turn"}
KINDS = ("common", "edge", "adversarial")
CASES = builtin_cases()
TIER_CASES = [case for case in CASES if case.tier is not None]
ROUTER_CASES = [case for case in CASES if case.tier is None]


@pytest.fixture(scope="module")
def tier_tools(tmp_path_factory) -> dict[str, set[str]]:
    home = tmp_path_factory.mktemp("home")
    config = load_config(home, env={}, home=home)
    return {name: set(tier.tools) for name, tier in config.tiers.items()}


def _case(**fields):
    return EvalCase.model_validate({"id": "c1", "tier": "normal", "input": "hi", **fields})


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


# ---------------------------------------------------------------- the model


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tier": None}, "tier: a case needs tier or expected_tier"),
        ({"tier": "fast"}, "unknown tier 'fast'"),
        ({"expected_tier": "slow"}, "unknown tier 'slow'"),
        ({"input": None}, "exactly one of input or messages"),
        ({"messages": [{"role": "user", "content": "x"}]}, "exactly one of input or messages"),
        ({"expected_tool": "git.status", "expected_no_tool": True}, "exclude each other"),
        (
            {"expected_tool": "git.status", "forbidden_tools": ["git.status"]},
            "'git.status' is also in forbidden_tools",
        ),
        ({"expected_tool": "git.statuz"}, "expected_tool: 'git.statuz' is not among the known tools"),
        ({"forbidden_tools": ["rm"]}, "forbidden_tools: 'rm' not among the known tools"),
        ({"expected_args": {"path": "a.py"}}, "argument checks need expected_tool"),
        ({"tools": []}, "empty tool list"),
        ({"tools": [{"name": "f"}]}, "parameters must be a JSON schema object"),
        ({"inptu": "typo"}, "Extra inputs are not permitted"),
        ({"id": "has space"}, "String should match pattern"),
        ({"source": "web"}, "Input should be"),
    ],
)
def test_invalid_cases_are_rejected_with_a_clear_message(fields, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        _case(**fields)


def test_router_cases_cannot_carry_tool_expectations():
    with pytest.raises(ValidationError, match="tool expectations need the tier"):
        EvalCase(id="r", expected_tier="code", input="add a flag", expected_no_tool=True)


def test_custom_tools_replace_the_known_tools_for_name_checks():
    tools = [{"name": "get_weather", "description": "", "parameters": {"type": "object"}}]
    case = _case(tools=tools, expected_tool="get_weather", accepted_args={"city": ["Oslo", ""]})
    assert case.expected_tool == "get_weather"
    with pytest.raises(ValidationError, match=r"'git\.status' is not among the case's tools"):
        _case(tools=tools, expected_tool="git.status")
    with pytest.raises(ValidationError, match="duplicate tool names"):
        _case(tools=tools * 2)


@pytest.mark.parametrize(
    ("messages", "message"),
    [
        ([], "at least one message"),
        ([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], "last message must be"),
        ([{"role": "system", "content": "a"}, {"role": "user", "content": "b"}], "[0].role is 'system'"),
        ([{"role": "user"}], "[0].content must be a string"),
        ([{"role": "user", "content": "a", "tool_calls": []}], "only assistant messages have tool_calls"),
        (
            [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "", "tool_calls": [{}]},
                {"role": "tool", "content": "ok"},
            ],
            "[1].tool_calls[0] needs function.name",
        ),
    ],
)
def test_invalid_conversations_are_rejected(messages, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        _case(input=None, messages=messages)


def test_kind_conversation_and_text():
    model = _case(expected_substr="Decimal")
    assert model.kind == "model" and model.expected_substr == ["Decimal"]
    assert model.conversation() == [{"role": "user", "content": "hi"}]
    assert EvalCase(id="r", expected_tier="simple", input="hey").kind == "router"
    assert _case(task="fix_median").kind == "task"
    messages = [
        {"role": "user", "content": "read a.py"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c",
                    "type": "function",
                    "function": {"name": "filesystem.read_file", "arguments": {"path": "a.py"}},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c", "name": "filesystem.read_file", "content": "1: x = 1"},
    ]
    case = _case(input=None, messages=messages)
    assert case.text() == "read a.py"
    copy = case.conversation()
    copy[0]["content"] = "changed"
    assert case.messages[0]["content"] == "read a.py"  # the case is not changed through its conversation
    with pytest.raises(ValidationError):
        case.tier = "code"  # frozen


def test_matches_tier_takes_router_cases_by_label():
    assert _case().matches_tier("normal") and not _case().matches_tier("code")
    router = EvalCase(id="r", expected_tier="code", input="add a flag")
    assert router.matches_tier("code") and not router.matches_tier("normal")
    labelled = _case(expected_tier="code")  # runs on normal: belongs to normal only
    assert labelled.matches_tier("normal") and not labelled.matches_tier("code")


# ---------------------------------------------------------------- the loader


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "ok", "tier": "simple", "input": "hello"})


def test_load_cases_skips_blank_and_comment_lines(tmp_path):
    path = _write(tmp_path / "a.jsonl", "// header", "", GOOD, "   ", "  // indented comment")
    assert [case.id for case in load_cases([path])] == ["ok"]


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("{not json", r"a\.jsonl:3: invalid JSON"),
        ("[1, 2]", r"a\.jsonl:3: a case must be a JSON object, not list"),
        (
            json.dumps({"id": "x", "tier": "simple"}),
            r"a\.jsonl:3 \(case 'x'\): input: a case needs exactly one",
        ),
        (
            json.dumps({"id": "x", "tier": "simple", "input": "a", "tagz": []}),
            r"a\.jsonl:3 \(case 'x'\): tagz: Extra",
        ),
        (json.dumps({"tier": "simple", "input": "a"}), r"a\.jsonl:3: id: Field required"),
        (
            json.dumps({"id": "x", "tier": "simple", "input": "a", "expected_no_tool": "maybe"}),
            r":3 .*expected_no_tool: ",
        ),
        (
            json.dumps({"id": "x", "tier": "simple", "input": "a", "expected_tool": "nope"}),
            r":3 .*expected_tool: 'nope'",
        ),
    ],
)
def test_load_cases_errors_name_file_line_and_field(tmp_path, line, pattern):
    path = _write(tmp_path / "a.jsonl", GOOD, "// comment", line)
    with pytest.raises(CaseError, match=pattern):
        load_cases([path])


def test_duplicate_ids_across_files_name_both_places(tmp_path):
    first = _write(tmp_path / "a.jsonl", GOOD)
    second = _write(tmp_path / "b.jsonl", "", GOOD)
    with pytest.raises(CaseError, match=r"b\.jsonl:2: id: duplicate id 'ok' \(first at .*a\.jsonl:1\)"):
        load_cases([first, second])


def test_missing_file_is_a_case_error(tmp_path):
    with pytest.raises(CaseError, match=r"missing\.jsonl: cannot read case file"):
        load_cases([tmp_path / "missing.jsonl"])


# ---------------------------------------------------------------- the shipped golden sets


def test_every_shipped_case_file_loads_and_ships_as_package_data():
    names = sorted(p.name for p in data_dir().glob("*.jsonl"))
    assert names == sorted([*CASE_FILES, GENERAL_CHAT_FILE])
    for name in CASE_FILES:
        assert load_cases([data_dir() / name]), name
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "evaluation/data/*.jsonl" in package_data["entropi"]


@pytest.mark.parametrize("tier", TIERS)
def test_each_tier_file_has_enough_cases_of_each_kind(tier):
    cases = load_cases([data_dir() / f"{tier}.jsonl"])
    assert len(cases) >= 30
    assert all(case.tier == tier and case.expected_tier and case.source == "golden" for case in cases)
    assert all(case.id.startswith(f"{tier}.") for case in cases)
    for case in cases:
        assert set(case.tags) <= GOLDEN_TAGS, case.id
        assert sum(kind in case.tags for kind in KINDS) == 1, f"{case.id}: exactly one of {KINDS}"
        assert ("no_tool" in case.tags) == case.expected_no_tool, case.id
        if "dont_guess" in case.tags:
            assert case.forbidden_tools and case.expected_tool is None, case.id
    counts = Counter(tag for case in cases for tag in case.tags)
    assert 0.5 <= counts["common"] / len(cases) <= 0.7, counts
    assert counts["edge"] >= 5 and counts["adversarial"] >= 3, counts
    assert counts["dont_guess"] >= 2 and counts["multi_turn"] >= 2, counts
    assert any(case.expected_no_tool for case in cases)


def test_tools_named_by_golden_cases_exist_in_their_tier(tier_tools):
    schemas = known_tools()
    for case in TIER_CASES:
        tools = tier_tools[case.tier]
        named = [case.expected_tool] if case.expected_tool else []
        named += case.forbidden_tools
        for message in case.messages or []:  # the conversation's own calls are valid calls of the tier
            for call in message.get("tool_calls") or []:
                named.append(call["function"]["name"])
                schema = schemas[call["function"]["name"]]["parameters"]
                jsonschema.validate(call["function"]["arguments"], schema)
        assert set(named) <= tools, f"{case.id}: {set(named) - tools} not in the {case.tier} tier's tools"
        if case.expected_tool:  # expected arguments are real parameters with valid values
            properties = schemas[case.expected_tool]["parameters"]["properties"]
            for name, value in case.expected_args.items():
                jsonschema.validate(value, properties[name])
            for name, values in case.accepted_args.items():
                assert all(
                    v == "" or jsonschema.Draft202012Validator(properties[name]).is_valid(v) for v in values
                )


def test_router_labels_follow_the_right_tier():
    for case in TIER_CASES:
        if case.expected_tool == "entropi.handoff":
            assert case.expected_tier == case.expected_args["tier"] != case.tier, case.id
    for tier in TIERS:
        cases = [case for case in TIER_CASES if case.tier == tier]
        assert sum(case.expected_tier == tier for case in cases) / len(cases) >= 0.75, tier


def test_thinking_investigations_start_with_todo_write():
    thinking = [case for case in TIER_CASES if case.tier == "thinking"]
    planned = [case for case in thinking if case.expected_tool == "entropi.todo_write"]
    assert len(planned) >= 15
    assert all(case.accepted_args == {"action": ["add", "replace"]} for case in planned)


def test_router_set_is_large_balanced_and_router_only():
    assert len(ROUTER_CASES) >= 80
    counts = Counter(case.expected_tier for case in ROUTER_CASES)
    assert set(counts) == set(TIERS) and min(counts.values()) >= 20, counts
    assert all(case.kind == "router" and case.input for case in ROUTER_CASES)


def test_builtin_cases_filter_by_tier():
    code = builtin_cases("code")
    assert code and all(case.matches_tier("code") for case in code)
    assert {case.kind for case in code} == {"model", "router"}
    assert sum(len(builtin_cases(tier)) for tier in TIERS) == len(CASES)


def test_no_prompt_is_shipped_twice():
    """Golden, router, general-chat, task-suite and router few-shot prompts are all distinct."""
    texts = [(case.id, case.text()) for case in CASES]
    texts += [(f"task:{task.id}", task.prompt) for task in load_tasks()]
    texts += [(f"chat:{i}", c[0]["content"]) for i, c in enumerate(load_general_chat())]
    router_prompt = (defaults_dir() / "router_prompt.txt").read_text(encoding="utf-8")
    texts += [
        ("router_prompt", line.split(" => ")[0]) for line in router_prompt.splitlines() if " => " in line
    ]
    seen: dict[str, str] = {}
    for where, text in texts:
        key = _norm(text)
        assert key not in seen, f"{where} repeats the prompt of {seen.get(key)}: {text!r}"
        seen[key] = where


def test_golden_prompts_are_short():
    assert max(len(case.text()) for case in CASES) <= 200


# ---------------------------------------------------------------- task suite and general chat


def test_task_cases_mirror_the_task_suite():
    tasks = {task.id: task for task in load_tasks()}
    cases = task_cases()
    assert [case.id for case in cases] == [f"task:{task_id}" for task_id in tasks]
    for case in cases:
        task = tasks[case.task]
        assert case.kind == "task" and case.source == "tasks" and case.tier == task.tier
        assert case.input == task.prompt and case.expected_tool == task.expected_first_tool
        assert case.expected_no_tool == (task.expected_first_tool is None)
        assert {task.tags.kind, task.tags.difficulty} <= set(case.tags)
    assert any(case.expected_no_tool for case in cases)
    simple = task_cases("simple")
    assert simple and {case.tier for case in simple} == {"simple"}


def test_general_chat_conversations():
    conversations = load_general_chat()
    assert len(conversations) >= 40
    assert any(len(c) > 2 for c in conversations)
    assert all(c[-1]["role"] == "assistant" for c in conversations)


@pytest.mark.parametrize(
    ("row", "pattern"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "2 or more turns"),
        (
            {"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]},
            "messages\\[0\\]",
        ),
        (
            {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": ""}]},
            "messages\\[1\\]",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": "b"},
                    {"role": "user", "content": "c"},
                ]
            },
            "last turn",
        ),
        ({"messages": [], "tools": []}, "exactly a messages list"),
    ],
)
def test_bad_general_chat_rows_name_file_and_line(tmp_path, row, pattern):
    good = {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}
    path = _write(tmp_path / "chat.jsonl", json.dumps(good), json.dumps(row))
    with pytest.raises(CaseError, match=rf"chat\.jsonl:2: .*{pattern}"):
        load_general_chat(path)
