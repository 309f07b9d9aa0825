"""Reading a tier's extracted datasets: rows, counts, hash, and every bad-input case named by file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from train_support import write_jsonl, write_tier_data

from entropi.training.datasets import DatasetError, load_tier_data


def test_reads_every_split_and_decodes_tools_strings(tmp_path: Path):
    write_tier_data(tmp_path, "code", n_train=3, n_eval=1)
    data = load_tier_data(tmp_path, "code", ["sft", "dpo"])
    assert data.counts == {"sft_train": 3, "sft_eval": 1, "dpo_train": 3, "dpo_eval": 1}
    row = data.split("sft", "train")[0]
    assert isinstance(row["tools"], list) and row["tools"][0]["type"] == "function"
    assert data.empty_stages() == []


def test_hash_covers_the_files_read(tmp_path: Path):
    write_tier_data(tmp_path, "code", n_train=3, n_eval=1)
    first = load_tier_data(tmp_path, "code", ["sft"]).sha256()
    assert first == load_tier_data(tmp_path, "code", ["sft"]).sha256()
    assert first != load_tier_data(tmp_path, "code", ["sft", "dpo"]).sha256(), "more files, another hash"
    path = tmp_path / "code" / "sft_eval.jsonl"
    path.write_text(path.read_text() + "\n")
    assert load_tier_data(tmp_path, "code", ["sft"]).sha256() != first


def test_eval_is_optional_and_an_empty_train_split_is_reported(tmp_path: Path):
    write_jsonl(tmp_path / "code" / "sft_train.jsonl", [])
    data = load_tier_data(tmp_path, "code", ["sft"])
    assert data.split("sft", "eval") == [] and data.empty_stages() == ["sft"]


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", r"sft_train.jsonl:2: not JSON"),
        ('["a list"]', r"sft_train.jsonl:2: a row must be a JSON object"),
        ('{"tools": []}', r"sft_train.jsonl:2: missing 'messages'"),
        ('{"messages": [], "tools": "{oops"}', r"sft_train.jsonl:2: 'tools' is a string that is not JSON"),
        ('{"messages": [], "tools": {"name": "x"}}', r"sft_train.jsonl:2: 'tools' must be a list"),
    ],
    ids=["not-json", "not-object", "missing-key", "tools-bad-json", "tools-not-list"],
)
def test_a_bad_row_names_its_file_and_line(tmp_path: Path, line: str, message: str):
    write_tier_data(tmp_path, "code", n_train=1, n_eval=0)
    path = tmp_path / "code" / "sft_train.jsonl"
    path.write_text(path.read_text() + line + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        load_tier_data(tmp_path, "code", ["sft"])


def test_a_dpo_row_needs_prompt_chosen_and_rejected(tmp_path: Path):
    write_jsonl(tmp_path / "code" / "dpo_train.jsonl", [{"prompt": [], "chosen": []}])
    with pytest.raises(DatasetError, match=r"dpo_train.jsonl:1: missing 'rejected'"):
        load_tier_data(tmp_path, "code", ["dpo"])


def test_missing_folder_or_train_file_is_an_error_that_says_what_to_run(tmp_path: Path):
    with pytest.raises(DatasetError, match=r"no datasets for tier 'code'.*extract_training_data"):
        load_tier_data(tmp_path, "code", ["sft"])
    write_jsonl(tmp_path / "code" / "sft_train.jsonl", [])
    with pytest.raises(DatasetError, match=r"dpo_train.jsonl not found"):
        load_tier_data(tmp_path, "code", ["sft", "dpo"])


def test_non_utf8_file_is_refused(tmp_path: Path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "sft_train.jsonl").write_bytes(b'{"messages": "\xff"}\n')
    with pytest.raises(DatasetError, match="not UTF-8"):
        load_tier_data(tmp_path, "code", ["sft"])


def test_blank_lines_are_skipped(tmp_path: Path):
    row = {"messages": [{"role": "user", "content": "hi"}]}
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "sft_train.jsonl").write_text(f"\n{json.dumps(row)}\n\n", encoding="utf-8")
    assert load_tier_data(tmp_path, "code", ["sft"]).counts["sft_train"] == 1
