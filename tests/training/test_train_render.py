"""Training rows render to the runtime's exact prompt text and tokens; only target assistant turns train."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from train_support import dpo_row, gold_tasks, sft_row

from entropi.inference.llama_model import LlamaModel
from entropi.inference.model_store import embedded_model_path
from entropi.training.base_model import resolve_base, training_formatter
from entropi.training.render import RenderError, TrainingRenderer

USER = {"role": "user", "content": "x"}
REPLY = {"role": "assistant", "content": "y"}


@pytest.fixture(scope="module")
def renderer(embedded_tokenizer, tmp_path_factory) -> TrainingRenderer:
    base = resolve_base("embedded", project_root=tmp_path_factory.mktemp("root"))
    return TrainingRenderer(training_formatter(base, embedded_tokenizer), embedded_tokenizer)


def _spans(renderer: TrainingRenderer, example: dict) -> list[str]:
    """The trained (mask 1) stretches, decoded."""
    spans, current = [], []
    for token, bit in zip(example["input_ids"], example["assistant_masks"], strict=True):
        if bit:
            current.append(token)
        elif current:
            spans.append(renderer.tokenizer.decode(current))
            current = []
    return spans + ([renderer.tokenizer.decode(current)] if current else [])


def test_turn_end_is_the_templates_end_of_turn_token(renderer):
    assert renderer.turn_end == "<|im_end|>" and renderer.turn_end_id == 2


def test_sft_tokens_are_the_runtimes_tokens_and_only_the_reply_is_trained(renderer):
    task = gold_tasks()[0]
    row = sft_row(task)
    example = renderer.sft_example(row)
    prompt = renderer.formatter.render(row["messages"][:-1], json.loads(row["tools"]))
    model = LlamaModel(embedded_model_path())
    try:
        runtime_ids = model.tokenize(prompt)
    finally:
        model.close()
    n = len(runtime_ids)
    assert example["input_ids"][:n] == runtime_ids, "the context is tokenized as llama.cpp tokenizes it"
    assert example["assistant_masks"][:n] == [0] * n
    call = task.gold.tool_calls[0]
    [span] = _spans(renderer, example)
    assert span.startswith(f"<think>\nFor {task.id} I will call {call.name} first.\n</think>")
    assert f'{{"name":"{call.name}"' in span and span.endswith("</tool_call><|im_end|>")
    assert example["assistant_masks"][-1] == 0, "the newline after <|im_end|> is never generated"


def test_every_target_turn_after_the_last_user_message_is_trained_and_tool_results_are_not(renderer):
    example = renderer.sft_example(sft_row(gold_tasks()[1], with_answer=True))
    spans = _spans(renderer, example)
    assert len(spans) == 2
    assert "<tool_call>" in spans[0] and "<tool_response>" not in "".join(spans)
    assert spans[1].endswith("<|im_end|>") and "<tool_call>" not in spans[1]


def test_history_before_the_last_user_message_is_context_without_its_reasoning(renderer):
    first, second = gold_tasks()[:2]
    history = sft_row(first, with_answer=True)["messages"]
    row = sft_row(second)
    row["messages"] = history + row["messages"][1:]
    example = renderer.sft_example(row)
    [span] = _spans(renderer, example)
    text = renderer.tokenizer.decode(example["input_ids"])
    assert f"For {first.id} I will call" not in text, "stale reasoning is dropped"
    assert f"For {second.id} I will call" in span


def test_dpo_prompt_is_the_runtime_prompt_and_completions_end_with_the_turn(renderer):
    row = dpo_row(gold_tasks()[0])
    example = renderer.dpo_example(row)
    assert example["prompt"] == renderer.formatter.render(row["prompt"], json.loads(row["tools"]))
    assert example["chosen"].startswith("<tool_call>") and example["chosen"].endswith(
        "</tool_call><|im_end|>"
    )
    assert example["rejected"] == "Done. Everything looks fine to me.<|im_end|>"


@pytest.mark.parametrize(
    "row,message",
    [
        ({"messages": [{"role": "system", "content": "x"}]}, "no user message"),
        ({"messages": [{"role": "user", "content": "x"}]}, "no assistant message after its last user"),
        ({"messages": "hello"}, "must be a message or a non-empty list"),
        ({"messages": [USER, {"role": "assistant", "content": 3}]}, "content must be a string"),
        ({"messages": [USER, {"role": "robot", "content": "y"}, REPLY]}, "role is 'robot'"),
        ({"messages": [USER, REPLY], "tools": "{oops"}, "tools is a string that is not JSON"),
    ],
    ids=["no-user", "no-reply", "not-a-list", "bad-content", "bad-role", "bad-tools"],
)
def test_unusable_sft_rows_are_refused(renderer, row: dict, message: str):
    with pytest.raises(RenderError, match=message):
        renderer.sft_example(row)


@pytest.mark.parametrize(
    "change,message",
    [
        ({"rejected": None}, "rejected must be a message"),
        ({"prompt": [USER, REPLY]}, "ends with an assistant"),
        (
            {"rejected": [{"role": "assistant", "content": "", "tool_calls": "bad"}]},
            "tool_calls must be a list",
        ),
    ],
    ids=["no-rejected", "prompt-ends-with-reply", "bad-call"],
)
def test_unusable_dpo_rows_are_refused(renderer, change: dict, message: str):
    with pytest.raises(RenderError, match=message):
        renderer.dpo_example({**dpo_row(gold_tasks()[0]), **change})


def test_identical_chosen_and_rejected_are_refused(renderer):
    row = dpo_row(gold_tasks()[0])
    with pytest.raises(RenderError, match="chosen and rejected render to the same text"):
        renderer.dpo_example({**row, "rejected": row["chosen"]})


def test_the_tiny_qwen3_template_renders_reasoning_as_the_model_emits_it(
    tiny_qwen3, embedded_tokenizer, tmp_path
):
    base = resolve_base(str(tiny_qwen3.hf_dir), base_gguf=tiny_qwen3.gguf, project_root=Path(tmp_path))
    renderer = TrainingRenderer(training_formatter(base, embedded_tokenizer), embedded_tokenizer)
    [span] = _spans(renderer, renderer.sft_example(sft_row(gold_tasks()[0])))
    assert span.startswith("<think>\nFor ") and span.endswith("</tool_call><|im_end|>")
