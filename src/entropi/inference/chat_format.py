"""Messages + tool schemas → the prompt text, rendered with the model's own jinja chat template.

Scope: entropi's internal message shape (TRL conversational: system / user / assistant / tool; assistant
`reasoning_content` and `tool_calls`; tool `tool_call_id` and `name`) and entropi's tool schemas
(`{"name", "description", "parameters"}`). A template that reads `tools` (Qwen3, Hermes) gets them in OpenAI
shape and the messages as they are. A template that does not (SmolLM2's plain ChatML) gets a hermes-style
tools block appended to the system turn, and entropi writes reasoning, tool calls and tool results into the
message text itself. For both kinds, reasoning of assistant turns before the last user query is dropped,
so history renders as the model saw it at inference.
Non-goals: tokenization, parsing output (`output_parser`), multimodal content parts, the `{% generation %}`
tag some training templates use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from entropi.inference.output_parser import THINK_CLOSE, THINK_OPEN, render_tool_call

Message = dict[str, Any]

ROLES = ("system", "user", "assistant", "tool")
CHAT_TEMPLATE_KEY = "tokenizer.chat_template"

# Used when a GGUF carries no chat template: plain ChatML, the format of most small instruct models.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

# Kept short: it is prefilled on a slow CPU on every cold start. One signature line per tool ("?" marks an
# optional argument) costs about a third of the tokens of the JSON schemas.
_TOOLS_INTRO = "# Tools\n\nTools you may call (? = optional argument):\n"
_TOOLS_OUTRO = (
    "\n\nTo call a tool, reply with:\n"
    '<tool_call>\n{"name":<tool-name>,"arguments":<args-object>}\n</tool_call>'
)
_PROBES = ("A0", "B1")  # two first user messages that differ from their first character


class ChatTemplateError(ValueError):
    """The chat template is invalid, or failed while rendering."""


class ChatMessageError(ValueError):
    """A message or tool schema does not have entropi's shape."""


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    # Jinja's own tojson HTML-escapes `<`, `>`, `&` and `'`; chat templates expect plain json.dumps.
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _raise_exception(message: str) -> None:
    raise jinja2.TemplateError(message)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


class ChatFormatter:
    """Renders conversations with one chat template; `source` names it in errors."""

    def __init__(self, template: str, *, bos_token: str = "", eos_token: str = "", source: str = "") -> None:
        self.source = source or "<string>"
        self.bos_token = bos_token
        self.eos_token = eos_token
        if not isinstance(template, str):
            raise ChatTemplateError(
                f"chat template from {self.source} is {type(template).__name__}, not text"
            )
        env = ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
        )
        env.filters["tojson"] = _tojson
        env.globals.update(raise_exception=_raise_exception, strftime_now=_strftime_now)
        try:
            self.supports_tools = "tools" in meta.find_undeclared_variables(env.parse(template))
            self._template = env.from_string(template)
        except jinja2.TemplateSyntaxError as exc:
            raise ChatTemplateError(
                f"chat template from {self.source} is not valid jinja (line {exc.lineno}): {exc.message}"
            ) from exc

    @classmethod
    def from_gguf_metadata(
        cls,
        metadata: Mapping[str, str],
        *,
        bos_token: str = "",
        eos_token: str = "",
        override: str | None = None,
        source: str = "",
    ) -> ChatFormatter:
        """`override` if given, else the GGUF's `tokenizer.chat_template`, else built-in ChatML."""
        template = metadata.get(CHAT_TEMPLATE_KEY)
        if override is not None:
            template, source = override, f"{source} (override)"
        elif not template:
            template, source = CHATML_TEMPLATE, f"{source} (built-in ChatML)"
        return cls(template, bos_token=bos_token, eos_token=eos_token, source=source)

    def render(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        *,
        add_generation_prompt: bool = True,
        enable_thinking: bool = True,
    ) -> str:
        """The prompt text for `messages` offering `tools` (entropi tool schemas)."""
        msgs = _drop_stale_reasoning(_normalize_messages(messages))
        schemas = _normalize_tools(tools or [])
        if self.supports_tools:
            ctx_tools = [{"type": "function", "function": s} for s in schemas] or None
        else:
            msgs, ctx_tools = _hermes_messages(msgs, schemas), None
        try:
            return self._template.render(
                messages=msgs,
                tools=ctx_tools,
                add_generation_prompt=add_generation_prompt,
                enable_thinking=enable_thinking,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
            )
        except Exception as exc:  # the template is arbitrary code: whatever it raises is its failure
            raise ChatTemplateError(
                f"chat template from {self.source} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def stable_prefix(self, system: str, tools: Sequence[Mapping[str, Any]] | None = None) -> str:
        """The text every rendering of a conversation starting with `system` (+ `tools`), then a user message,
        begins with, whatever follows ("" system = no system message).

        Derived from the template: the longest common prefix of two renderings whose user messages differ
        from the first character, cut back to the end of its last line or turn end (newline or eos token),
        so the prefix never ends inside a piece the tokenizer could merge with the text that follows.
        """
        head = [{"role": "system", "content": system}] if system else []
        first, second = (
            self.render([*head, {"role": "user", "content": p}], tools, add_generation_prompt=False)
            for p in _PROBES
        )
        common = _common_prefix(first, second)
        cut = common.rfind("\n") + 1
        if self.eos_token and (at := common.rfind(self.eos_token)) >= 0:
            cut = max(cut, at + len(self.eos_token))
        return common[:cut]


def _common_prefix(first: str, second: str) -> str:
    differ = (i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b)
    return first[: next(differ, min(len(first), len(second)))]


def _normalize_messages(messages: Sequence[Mapping[str, Any]]) -> list[Message]:
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise ChatMessageError(f"messages must be a list of message dicts, got {type(messages).__name__}")
    if not messages:
        raise ChatMessageError("messages is empty")
    out: list[Message] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, Mapping):
            raise ChatMessageError(f"{where} must be a dict, got {type(message).__name__}")
        role = message.get("role")
        if role not in ROLES:
            raise ChatMessageError(f"{where}.role is {role!r}; expected one of {', '.join(ROLES)}")
        msg: Message = {"role": role, "content": _optional_str(message, "content", where) or ""}
        if role == "assistant":
            if (reasoning := _optional_str(message, "reasoning_content", where)) is not None:
                msg["reasoning_content"] = reasoning
            calls = message.get("tool_calls") or []
            if isinstance(calls, str | bytes) or not isinstance(calls, Sequence):
                raise ChatMessageError(f"{where}.tool_calls must be a list, got {type(calls).__name__}")
            if calls:
                msg["tool_calls"] = [
                    _normalize_call(c, f"{where}.tool_calls[{j}]") for j, c in enumerate(calls)
                ]
        elif role == "tool":
            for key in ("tool_call_id", "name"):
                if (value := _optional_str(message, key, where)) is not None:
                    msg[key] = value
        out.append(msg)
    return out


def _optional_str(message: Mapping[str, Any], key: str, where: str) -> str | None:
    value = message.get(key)
    if value is not None and not isinstance(value, str):
        raise ChatMessageError(f"{where}.{key} must be a string, got {type(value).__name__}")
    return value


def _normalize_call(call: Any, where: str) -> Message:
    """OpenAI shape with `arguments` as a dict (a JSON-string object is decoded)."""
    if not isinstance(call, Mapping):
        raise ChatMessageError(f"{where} must be a dict, got {type(call).__name__}")
    function = call.get("function", call)
    if not isinstance(function, Mapping):
        raise ChatMessageError(f"{where}.function must be a dict, got {type(function).__name__}")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise ChatMessageError(f"{where} has no function name")
    arguments = function.get("arguments")
    if arguments is None:
        arguments = {}
    elif isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError as exc:
            raise ChatMessageError(f"{where}.arguments is a string that is not JSON: {exc}") from exc
    if not isinstance(arguments, Mapping):
        raise ChatMessageError(f"{where}.arguments must be a JSON object, got {type(arguments).__name__}")
    call_id = call.get("id")
    if call_id is not None and not isinstance(call_id, str):
        raise ChatMessageError(f"{where}.id must be a string, got {type(call_id).__name__}")
    return {"id": call_id or "", "type": "function", "function": {"name": name, "arguments": dict(arguments)}}


def _normalize_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """entropi tool schemas (an OpenAI `{"type": "function", "function": ...}` wrapper is unwrapped)."""
    if isinstance(tools, str | bytes) or not isinstance(tools, Sequence):
        raise ChatMessageError(f"tools must be a list of tool schemas, got {type(tools).__name__}")
    out = []
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        if isinstance(tool, Mapping) and tool.get("type") == "function" and "function" in tool:
            tool = tool["function"]
        if not isinstance(tool, Mapping):
            raise ChatMessageError(f"{where} must be a dict, got {type(tool).__name__}")
        name, description = tool.get("name"), tool.get("description", "")
        parameters = tool.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(name, str) or not name:
            raise ChatMessageError(f"{where} has no name")
        if not isinstance(description, str):
            raise ChatMessageError(f"{where} ({name}).description must be a string")
        if not isinstance(parameters, Mapping):
            raise ChatMessageError(f"{where} ({name}).parameters must be a JSON schema object")
        try:
            parameters = json.loads(json.dumps(parameters))
        except (TypeError, ValueError) as exc:
            raise ChatMessageError(f"{where} ({name}).parameters is not JSON-serializable: {exc}") from exc
        out.append({"name": name, "description": description, "parameters": parameters})
    return out


def _drop_stale_reasoning(msgs: list[Message]) -> list[Message]:
    """Remove reasoning from assistant turns before the last user message (all of them if there is none)."""
    last_user = max((i for i, m in enumerate(msgs) if m["role"] == "user"), default=len(msgs))
    for message in msgs[:last_user]:
        message.pop("reasoning_content", None)
    return msgs


def _hermes_messages(msgs: list[Message], schemas: list[dict[str, Any]]) -> list[Message]:
    """Plain role/content messages carrying tools, reasoning, calls and results as hermes-style text."""
    out: list[Message] = []
    if schemas:
        block = _TOOLS_INTRO + "\n".join(tool_signature(s) for s in schemas) + _TOOLS_OUTRO
        if msgs[0]["role"] == "system":
            system, msgs = msgs[0]["content"], msgs[1:]
            block = f"{system}\n\n{block}" if system else block
        out.append({"role": "system", "content": block})
    responses: list[str] = []
    for message in msgs:
        if message["role"] == "tool":
            responses.append(f"<tool_response>\n{message['content']}\n</tool_response>")
            continue
        if responses:
            out.append({"role": "user", "content": "\n".join(responses)})
            responses = []
        content = _assistant_text(message) if message["role"] == "assistant" else message["content"]
        out.append({"role": message["role"], "content": content})
    if responses:
        out.append({"role": "user", "content": "\n".join(responses)})
    return out


def _assistant_text(message: Message) -> str:
    reasoning = message.get("reasoning_content", "").strip()
    text = f"{THINK_OPEN}\n{reasoning}\n{THINK_CLOSE}\n\n" if reasoning else ""
    calls = "\n".join(
        render_tool_call(c["function"]["name"], c["function"]["arguments"])
        for c in message.get("tool_calls", [])
    )
    content = message["content"]
    return text + (f"{content}\n{calls}" if content and calls else content or calls)


def _type_text(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "|".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return _type_text(schema.get("items") or {}) + "[]"
    if kind == "object" and schema.get("properties"):
        return "{" + _params_text(schema) + "}"
    return kind if isinstance(kind, str) else "|".join(map(str, kind))


def _params_text(schema: Mapping[str, Any]) -> str:
    required = set(schema.get("required") or ())
    return ", ".join(
        f"{name}{'' if name in required else '?'}: {_type_text(prop if isinstance(prop, Mapping) else {})}"
        for name, prop in (schema.get("properties") or {}).items()
    )


def tool_signature(schema: Mapping[str, Any]) -> str:
    """One compact line for a tool: ``- name(arg: type, opt?: type) - description``."""
    line = f"- {schema['name']}({_params_text(schema.get('parameters') or {})})"
    return f"{line} - {schema['description']}" if schema.get("description") else line
