"""Dataset rows → exactly the text the runtime renders, split into what the model sees and what it learns.

The runtime's ``ChatFormatter`` renders training rows too, so a trained adapter sees prompts byte-identical
to the ones it gets at inference (tool block, tool-call syntax and all). SFT rows become token ids with an
``assistant_masks`` column: 1 on the assistant turns after the last user message, up to and including the
template's end-of-turn token (never the whitespace after it, which the model does not generate). Earlier
assistant turns are history, rendered as the model saw it (their reasoning stripped), and not trained on.
DPO rows become prompt / chosen / rejected strings, each completion ending with the end-of-turn token.
Non-goals: reading files (``datasets.py``), truncation policy (the stages skip rows over ``max_length``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from entropi.inference.chat_format import ChatFormatter, ChatMessageError, ChatTemplateError

Row = Mapping[str, Any]


class RenderError(ValueError):
    """A row that cannot be rendered into a training example."""


def _common_prefix_len(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = next((i for i in range(n) if a[i] != b[i]), n)
    return i


def _tools(row: Row) -> list[Any]:
    """The row's tool schemas; the extractor stores them as one JSON string."""
    tools = row.get("tools") or []
    if isinstance(tools, str):
        try:
            tools = json.loads(tools)
        except ValueError as exc:
            raise RenderError(f"tools is a string that is not JSON ({exc})") from exc
    return tools


def _as_messages(value: Any, what: str) -> list[dict[str, Any]]:
    if isinstance(value, Mapping):
        return [dict(value)]
    if isinstance(value, Sequence) and not isinstance(value, str | bytes) and value:
        return [dict(m) if isinstance(m, Mapping) else m for m in value]
    raise RenderError(f"{what} must be a message or a non-empty list of messages")


class TrainingRenderer:
    """Renders rows for one base tokenizer and chat template."""

    def __init__(self, formatter: ChatFormatter, tokenizer: Any, *, enable_thinking: bool = True) -> None:
        self.formatter = formatter
        self.tokenizer = tokenizer
        self.enable_thinking = enable_thinking
        self.turn_end = self._find_turn_end()
        ids = tokenizer.convert_tokens_to_ids(self.turn_end)
        self.turn_end_id: int | None = ids if isinstance(ids, int) and ids != tokenizer.unk_token_id else None
        probe = "x"
        self._tokenizer_adds_specials = len(tokenizer(probe)["input_ids"]) != len(
            tokenizer(probe, add_special_tokens=False)["input_ids"]
        )

    def _render(self, messages: Sequence[Mapping[str, Any]], tools: Any, *, gen: bool) -> str:
        try:
            return self.formatter.render(
                messages, tools or [], add_generation_prompt=gen, enable_thinking=self.enable_thinking
            )
        except (ChatMessageError, ChatTemplateError) as exc:
            raise RenderError(str(exc)) from exc

    def _find_turn_end(self) -> str:
        """The text the template closes an assistant turn with (e.g. ``<|im_end|>``), whitespace dropped."""
        marker = "Zq9 marker"
        text = self.formatter.render(
            [{"role": "user", "content": "A0"}, {"role": "assistant", "content": marker}],
            add_generation_prompt=False,
        )
        end = text[text.rindex(marker) + len(marker) :].strip()
        if not end:
            raise RenderError(f"chat template {self.formatter.source} closes assistant turns with no marker")
        return end

    def _target_end(self, text: str, start: int, stop: int) -> int:
        """End of the trained span inside ``text[start:stop]``: just after its last end-of-turn marker."""
        at = text.rfind(self.turn_end, start, stop)
        return at + len(self.turn_end) if at >= 0 else stop

    def _tokens(self, text: str) -> list[int]:
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []

    # -- SFT --------------------------------------------------------------------------------------
    def sft_example(self, row: Row) -> dict[str, list[int]]:
        """``input_ids`` and ``assistant_masks`` for one SFT row."""
        messages = _as_messages(row.get("messages"), "messages")
        tools = _tools(row)
        roles = [m.get("role") if isinstance(m, Mapping) else None for m in messages]
        last_user = max((i for i, r in enumerate(roles) if r == "user"), default=-1)
        targets = [i for i, r in enumerate(roles) if r == "assistant" and i > last_user]
        if last_user < 0:
            raise RenderError("the row has no user message")
        if not targets:
            raise RenderError("the row has no assistant message after its last user message")
        full = self._render(messages, tools, gen=False)
        spans: list[tuple[int, int]] = []
        for i in targets:
            before = self._render(messages[:i], tools, gen=True)
            through = self._render(messages[: i + 1], tools, gen=False)
            if not full.startswith(through):
                raise RenderError(f"the template renders messages[:{i + 1}] differently inside the whole row")
            start = _common_prefix_len(before, through)
            spans.append((start, self._target_end(through, start, len(through))))
        ids: list[int] = []
        mask: list[int] = []
        pos = 0
        for start, end in spans:
            for piece, bit in ((full[pos:start], 0), (full[start:end], 1)):
                piece_ids = self._tokens(piece)
                ids += piece_ids
                mask += [bit] * len(piece_ids)
            pos = end
        tail = self._tokens(full[pos:])
        return {"input_ids": ids + tail, "assistant_masks": mask + [0] * len(tail)}

    # -- DPO --------------------------------------------------------------------------------------
    def dpo_example(self, row: Row) -> dict[str, str]:
        """``prompt``, ``chosen`` and ``rejected`` texts for one DPO row."""
        prompt = _as_messages(row.get("prompt"), "prompt")
        tools = _tools(row)
        if (prompt[-1].get("role") if isinstance(prompt[-1], Mapping) else None) == "assistant":
            raise RenderError("the prompt ends with an assistant message; chosen/rejected must follow it")
        prompt_text = self._render(prompt, tools, gen=True)
        completions = {}
        cut = len(prompt_text)
        for key in ("chosen", "rejected"):
            full = self._render(prompt + _as_messages(row.get(key), key), tools, gen=False)
            cut = min(cut, _common_prefix_len(prompt_text, full))
            completions[key] = full
        if completions["chosen"] == completions["rejected"]:
            raise RenderError("chosen and rejected render to the same text")
        out = {"prompt": prompt_text[:cut]}
        for key, full in completions.items():
            out[key] = full[cut : self._target_end(full, cut, len(full))]
        if self._tokenizer_adds_specials and self.formatter.bos_token:
            out["prompt"] = out["prompt"].removeprefix(self.formatter.bos_token)  # the tokenizer adds it
        return out
