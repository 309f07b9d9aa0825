"""parse_output / render_tool_call: thinking, content, tool calls, every issue kind, round trip, fuzz."""

import json
import random
import time

import pytest

from entropi.inference.output_parser import (
    ISSUE_KINDS,
    ParsedOutput,
    ToolCall,
    parse_output,
    render_tool_call,
)


def kinds(parsed: ParsedOutput) -> list[str]:
    return [issue.kind for issue in parsed.issues]


def test_plain_content_is_trimmed():
    parsed = parse_output("  Hello there.\n")
    assert (parsed.thinking, parsed.content, parsed.tool_calls, parsed.issues) == ("", "Hello there.", [], [])


def test_think_block_and_content():
    parsed = parse_output("<think>\nLet me see.\n</think>\n\nThe answer is 4.")
    assert parsed.thinking == "Let me see."
    assert parsed.content == "The answer is 4."
    assert parsed.issues == []


def test_several_think_blocks_are_joined_with_newline():
    parsed = parse_output("<think>one</think>mid<think> two </think>end")
    assert parsed.thinking == "one\ntwo"
    assert parsed.content == "midend"


def test_close_without_open_makes_the_text_before_it_thinking():
    parsed = parse_output("I am thinking already.\n</think>\n\nDone.")
    assert parsed.thinking == "I am thinking already."
    assert parsed.content == "Done."
    assert parsed.issues == []


def test_unclosed_think_makes_the_rest_thinking():
    parsed = parse_output("Hi <think>still going")
    assert parsed.thinking == "still going"
    assert parsed.content == "Hi"
    assert kinds(parsed) == ["unterminated_think"]
    assert parsed.issues[0].raw == "<think>still going"


def test_tool_calls_get_ids_in_order_and_content_excludes_blocks():
    raw = (
        "Reading both.\n"
        '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.py"}}\n</tool_call>\n'
        '<tool_call>\n{"name":"read_file","arguments":{"path":"b.py"}}\n</tool_call>'
    )
    parsed = parse_output(raw)
    assert [(c.id, c.name, c.arguments) for c in parsed.tool_calls] == [
        ("call_0", "read_file", {"path": "a.py"}),
        ("call_1", "read_file", {"path": "b.py"}),
    ]
    assert (
        parsed.tool_calls[0].raw
        == '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.py"}}\n</tool_call>'
    )
    assert parsed.content == "Reading both."
    assert parsed.issues == []


@pytest.mark.parametrize(
    "body, arguments",
    [
        ('{"name": "t", "parameters": {"x": 1}}', {"x": 1}),
        ('{"name": "t", "arguments": "{\\"x\\": 1}"}', {"x": 1}),
        ('{"name": "t"}', {}),
        ('{"name": "t", "arguments": null}', {}),
        ('```json\n{"name": "t", "arguments": {"x": 1}}\n```', {"x": 1}),
        ('```\n{"name": "t", "arguments": {"x": 1}}\n```', {"x": 1}),
    ],
)
def test_accepted_call_variants(body, arguments):
    parsed = parse_output(f"<tool_call>\n{body}\n</tool_call>")
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [("t", arguments)]
    assert parsed.issues == []


@pytest.mark.parametrize(
    "body, kind",
    [
        ('{"name": "t", "arguments": {"x": 1}', "invalid_json"),
        ("not json at all", "invalid_json"),
        ('[{"name": "t"}]', "invalid_json"),
        ('{"arguments": {"x": 1}}', "missing_name"),
        ('{"name": 7, "arguments": {}}', "missing_name"),
        ('{"name": "t", "arguments": [1, 2]}', "bad_arguments"),
        ('{"name": "t", "arguments": "[1, 2]"}', "bad_arguments"),
        ('{"name": "t", "arguments": "not json"}', "bad_arguments"),
        ('{"name": "t", "arguments": {"x": 1}} trailing', "invalid_json"),
    ],
)
def test_rejected_calls_become_issues_with_their_block(body, kind):
    block = f"<tool_call>\n{body}\n</tool_call>"
    parsed = parse_output(f"before {block} after")
    assert parsed.tool_calls == []
    assert kinds(parsed) == [kind]
    assert parsed.issues[0].raw == block
    assert parsed.content == "before  after"


def test_cut_off_final_call_is_parsed_when_its_json_is_complete():
    parsed = parse_output('Let me look.\n<tool_call>\n{"name": "ls", "arguments": {"path": "."}}\n')
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [("ls", {"path": "."})]
    assert parsed.issues == []


def test_cut_off_final_call_with_broken_json_is_unterminated():
    parsed = parse_output('<tool_call>\n{"name": "ls", "argu')
    assert parsed.tool_calls == []
    assert kinds(parsed) == ["unterminated_tool_call"]
    assert parsed.issues[0].raw == '<tool_call>\n{"name": "ls", "argu'


def test_unclosed_call_followed_by_another_call():
    parsed = parse_output(
        '<tool_call>\n{"name": "a", "arguments": {}}\n'
        '<tool_call>\n{"name": "b", "arguments": {}}\n</tool_call>'
    )
    assert [c.name for c in parsed.tool_calls] == ["a", "b"]
    broken = parse_output('<tool_call>\n{"name": "a"\n<tool_call>\n{"name": "b"}\n</tool_call>')
    assert [c.name for c in broken.tool_calls] == ["b"]
    assert kinds(broken) == ["unterminated_tool_call"]


def test_tags_inside_json_strings_do_not_end_the_block():
    arguments = {"path": "notes.md", "content": "use </tool_call> and </think> and <tool_call> literally"}
    raw = "<think>plan</think>" + render_tool_call("write_file", arguments)
    parsed = parse_output(raw)
    assert [(c.name, c.arguments) for c in parsed.tool_calls] == [("write_file", arguments)]
    assert parsed.thinking == "plan"
    assert parsed.issues == []


def test_cut_off_call_whose_json_mentions_the_close_tag():
    parsed = parse_output('<tool_call>\n{"name": "w", "arguments": {"text": "a </tool_call> b"}}')
    assert [c.arguments for c in parsed.tool_calls] == [{"text": "a </tool_call> b"}]
    assert parsed.issues == []


def test_close_think_inside_call_json_does_not_make_earlier_text_thinking():
    raw = 'Writing.\n<tool_call>\n{"name": "w", "arguments": {"text": "</think>"}}\n</tool_call>'
    parsed = parse_output(raw)
    assert parsed.thinking == ""
    assert parsed.content == "Writing."
    assert [c.arguments for c in parsed.tool_calls] == [{"text": "</think>"}]


def test_call_inside_thinking_is_reported_not_executed():
    inner = '<tool_call>\n{"name": "rm", "arguments": {"path": "x"}}\n</tool_call>'
    parsed = parse_output(f"<think>maybe {inner} no</think>Answer.")
    assert parsed.tool_calls == []
    assert [(c.id, c.name) for c in parsed.think_tool_calls] == [("think_call_0", "rm")]
    assert kinds(parsed) == ["tool_call_in_think"]
    assert parsed.thinking == f"maybe {inner} no"
    assert parsed.content == "Answer."


def test_unclosed_call_inside_thinking_stops_at_think_close():
    parsed = parse_output('<think>x <tool_call>{"name": "a"</think>done')
    assert parsed.content == "done"
    assert parsed.think_tool_calls == []
    assert sorted(kinds(parsed)) == ["tool_call_in_think", "unterminated_tool_call"]


def test_stray_close_tags():
    parsed = parse_output("<think>a</think>text</think> more </tool_call>")
    assert parsed.thinking == "a"
    assert parsed.content == "text more"
    assert kinds(parsed) == ["stray_close_tag", "stray_close_tag"]
    assert [i.raw for i in parsed.issues] == ["</think>", "</tool_call>"]


def test_non_string_input_is_a_type_error():
    with pytest.raises(TypeError, match="expects str"):
        parse_output(b"<think>")  # type: ignore[arg-type]


def test_to_dict_and_assistant_message():
    parsed = parse_output(
        '<think>t</think>Hi\n<tool_call>\n{"name": "a", "arguments": {"k": "v"}}\n</tool_call>'
    )
    as_dict = parsed.to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict["tool_calls"][0]["name"] == "a"
    assert parsed.to_assistant_message() == {
        "role": "assistant",
        "content": "Hi",
        "reasoning_content": "t",
        "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "a", "arguments": {"k": "v"}}}
        ],
    }
    assert parse_output("plain").to_assistant_message() == {"role": "assistant", "content": "plain"}


def test_render_tool_call_exact_text():
    assert render_tool_call("read_file", {"path": "ü.py", "n": 2}) == (
        '<tool_call>\n{"name":"read_file","arguments":{"path":"ü.py","n":2}}\n</tool_call>'
    )


@pytest.mark.parametrize(
    "name, arguments",
    [
        ("ls", {}),
        ("bash", {"command": "echo 'hi' && ls -la", "timeout": 3.5}),
        ("write_file", {"path": "日本/ファイル.txt", "content": 'line1\nline2\t"quoted"\\'}),
        ("edit", {"nested": {"list": [1, None, True, {"a": []}]}, "tags": "<think></think><tool_call>"}),
    ],
)
def test_render_then_parse_round_trips(name, arguments):
    parsed = parse_output(render_tool_call(name, arguments))
    assert parsed.tool_calls == [ToolCall("call_0", name, arguments, render_tool_call(name, arguments))]
    assert parsed.issues == []


@pytest.mark.parametrize(
    "name, arguments, message",
    [("", {}, "non-empty string"), ("t", [1], "must be a mapping"), ("t", {"x": object()}, "not JSON")],
)
def test_render_tool_call_rejects_bad_input(name, arguments, message):
    with pytest.raises(ValueError, match=message):
        render_tool_call(name, arguments)


_FRAGMENTS = [
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    "\n",
    " ",
    "{",
    "}",
    "[",
    "]",
    '"',
    ":",
    ",",
    '"name"',
    '"arguments"',
    '"parameters"',
    '"x"',
    "null",
    "1e999",
    "```json",
    "```",
    "\\",
    "\x00",
    "\x1b[31m",
    "\ud800",
    "é",
    "🙂",
    '{"name": "t", "arguments": {"a": 1}}',
    '"{\\"a\\": 1}"',
    "<think",
    "tool_call>",
]


def _check_invariants(parsed: ParsedOutput) -> None:
    assert isinstance(parsed.thinking, str) and isinstance(parsed.content, str)
    assert all(issue.kind in ISSUE_KINDS for issue in parsed.issues)
    for call in parsed.tool_calls + parsed.think_tool_calls:
        assert isinstance(call.name, str) and call.name.strip()
        assert isinstance(call.arguments, dict)
    assert [c.id for c in parsed.tool_calls] == [f"call_{i}" for i in range(len(parsed.tool_calls))]


def test_fuzz_never_raises():
    rng = random.Random(20240611)
    for _ in range(3000):
        pieces = [rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, 40))]
        pieces += ["".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 8)))]
        rng.shuffle(pieces)
        _check_invariants(parse_output("".join(pieces)))


def test_huge_and_deeply_nested_inputs():
    started = time.monotonic()
    rng = random.Random(7)
    huge = "".join(rng.choice(_FRAGMENTS) for _ in range(200_000))
    _check_invariants(parse_output(huge))
    nested = parse_output("<tool_call>" + "[" * 200_000 + "</tool_call>")
    assert kinds(nested) == ["invalid_json"]
    quote_runs = parse_output(('<tool_call>{"name": "' + "a" * 1000) * 2000)
    assert kinds(quote_runs) == ["unterminated_tool_call"] * 2000
    assert time.monotonic() - started < 20
