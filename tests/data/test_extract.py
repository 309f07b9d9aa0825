"""The extractor end to end on real scripted-session logs: rows, labels, pairs, hygiene, split, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from data_support import HAS_DATASETS, SECRETS

from entropi.data.cli import main
from entropi.data.export import OutputDirError
from entropi.data.extract import ExtractError, ExtractOptions, expand_logs, extract
from entropi.data.hygiene import is_eval, redact


def rows(out: Path, tier: str, name: str) -> list[dict[str, Any]]:
    path = out / tier / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def all_rows(out: Path, kind: str) -> list[dict[str, Any]]:
    return [
        r
        for tier_dir in sorted(out.iterdir())
        if tier_dir.is_dir() and (tier_dir / f"{kind}_train.jsonl").exists()
        for split in ("train", "eval")
        for r in rows(out, tier_dir.name, f"{kind}_{split}")
    ]


def queries(row: dict[str, Any]) -> list[str]:
    return [m["content"] for m in row.get("messages", row.get("prompt", [])) if m["role"] == "user"]


def test_every_output_file_exists_with_card_and_report(extracted):
    out, report = extracted
    for tier in ("thinking", "normal", "code", "simple"):
        for name in ("sft_train", "sft_eval", "dpo_train", "dpo_eval"):
            assert (out / tier / f"{name}.jsonl").is_file()
        assert (out / tier / "hf" / "sft" / "dataset_dict.json").is_file() == HAS_DATASETS
        assert (out / tier / "hf" / "dpo" / "dataset_dict.json").is_file() == HAS_DATASETS
    assert json.loads((out / "report.json").read_text()) == json.loads(json.dumps(report))
    assert "SFT rows per tier/split" in (out / "summary.txt").read_text()
    assert "| code |" in (out / "README.md").read_text()
    assert not (out / ".work").exists()


def test_sft_rows_are_trl_conversational_with_tools_and_metadata(extracted):
    out, _ = extracted
    sft = all_rows(out, "sft")
    assert sft
    for row in sft:
        assert isinstance(json.loads(row["tools"]), list)
        assert {"tier", "session_id", "turn_index", "source", "task_id", "quality", "record_ids"} <= set(row)
        assert row["messages"][-1]["role"] == "assistant"
        for message in row["messages"]:
            assert isinstance(message["content"], str)
            for call in message.get("tool_calls", []):
                assert call["type"] == "function" and isinstance(
                    json.loads(call["function"]["arguments"]), dict
                )
        assert row["quality"]["valid"] and row["quality"]["coherent"] and row["quality"]["approved"]


def test_earlier_queries_lose_their_reasoning_the_current_one_keeps_it(extracted):
    out, _ = extracted
    row = next(r for r in all_rows(out, "sft") if queries(r)[-1] == "now fix it")
    current = max(i for i, m in enumerate(row["messages"]) if m["role"] == "user")
    before = [m for m in row["messages"][:current] if m["role"] == "assistant"]
    after = [m for m in row["messages"][current:] if m["role"] == "assistant"]
    assert before and all("reasoning_content" not in m for m in before)
    assert after[0]["reasoning_content"] == "I'll edit `app.py` to add."


def pair(out: Path, query: str) -> dict[str, Any]:
    return next(r for r in all_rows(out, "dpo") if query in queries(r))


def call_of(message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    fn = message["tool_calls"][0]["function"]
    return fn["name"], json.loads(fn["arguments"])


def test_incoherent_call_is_repaired_to_the_tool_the_reasoning_named(extracted):
    row = pair(extracted[0], "show me app.py")
    assert (row["pair_type"], row["chosen_source"]) == ("intent_mismatch", "repair")
    assert call_of(row["rejected"][0]) == ("bash.execute", {"command": "cat app.py"})
    assert call_of(row["chosen"][0]) == ("filesystem.read_file", {"path": "app.py"})
    assert row["chosen"][0]["reasoning_content"] == row["rejected"][0]["reasoning_content"]


@pytest.mark.parametrize(
    ("query", "pair_type"), [("read app.py please", "invalid_call"), ("open app.py", "unknown_tool")]
)
def test_invalid_and_unknown_calls_are_repaired(extracted, query, pair_type):
    row = pair(extracted[0], query)
    assert (row["pair_type"], row["chosen_source"]) == (pair_type, "repair")
    assert call_of(row["chosen"][0]) == ("filesystem.read_file", {"path": "app.py"})


def test_a_broken_call_is_rejected_as_written_and_repaired(extracted):
    row = pair(extracted[0], "peek at app.py")
    assert (row["pair_type"], row["chosen_source"]) == ("invalid_call", "repair")
    assert row["rejected"][0]["content"].startswith("<tool_call>") and "tool_calls" not in row["rejected"][0]
    assert call_of(row["chosen"][0]) == ("filesystem.read_file", {"path": "app.py"})


def test_denial_with_feedback_pairs_with_the_users_correction(extracted):
    row = pair(extracted[0], "which files are here?")
    assert (row["pair_type"], row["chosen_source"]) == ("denied_by_user", "user_correction")
    assert call_of(row["rejected"][0])[0] == "bash.execute"
    assert call_of(row["chosen"][0])[0] == "filesystem.list_directory" and row["chosen_record_id"]


def test_failed_task_turns_pair_with_a_resample_or_the_gold_step(extracted, suite):
    out, _ = extracted
    failed = [
        r
        for r in all_rows(out, "dpo")
        if r["pair_type"] in ("failed_execution", "invalid_call") and r["task_id"]
    ]
    sources = {r["chosen_source"] for r in failed}
    assert sources == {"resample", "gold"}
    gold_ids = {t.id: t for t in suite}
    for row in failed:
        task = gold_ids[row["task_id"]]
        chosen = row["chosen"][0]
        if task.gold.tool_calls:
            first = task.gold.tool_calls[0]
            assert call_of(chosen) == (first.name, redact(first.arguments))  # gold code holds an email
            assert first.name in chosen["reasoning_content"]
        else:
            assert chosen["content"] == task.gold.final_answer and "tool_calls" not in chosen


def test_no_pair_has_chosen_equal_to_rejected_and_unrepairable_turns_are_counted(extracted):
    out, report = extracted
    for row in all_rows(out, "dpo"):
        assert row["chosen"][0] != row["rejected"][0]
    assert report["dpo"]["skipped"]["no_chosen"] >= 1  # todo_write needs items the reasoning never gave
    assert not any("plan the refactor" in queries(r) for r in all_rows(out, "dpo"))


def test_bad_feedback_and_rejected_first_calls_give_no_sft_row(extracted):
    out, report = extracted
    assert report["sft"]["skipped"]["user_marked_bad"] == 1
    assert report["sft"]["skipped"]["first_call_rejected"] >= 5
    texts = {q for r in all_rows(out, "sft") for q in queries(r)}
    assert "what is 2+2?" not in texts and "show me app.py" not in texts


def test_exact_and_near_duplicates_are_removed(extracted):
    out, report = extracted
    assert report["sft"]["skipped"]["duplicate_exact"] >= 1
    assert report["sft"]["skipped"]["duplicate_near"] >= 1
    first_rows = [r for r in all_rows(out, "sft") if queries(r) == ["what is wrong with add?"]]
    assert len(first_rows) == 1


def test_no_session_is_on_both_sides_of_the_split(extracted):
    out, _ = extracted
    for kind in ("sft", "dpo"):
        train = {
            r["session_id"] for t in out.iterdir() if t.is_dir() for r in rows(out, t.name, f"{kind}_train")
        }
        evals = {
            r["session_id"] for t in out.iterdir() if t.is_dir() for r in rows(out, t.name, f"{kind}_eval")
        }
        assert not train & evals
        assert all(is_eval(s, seed=1, eval_fraction=0.2) for s in evals)


def test_split_is_deterministic_with_the_seed(corpus, suite, tmp_path):
    logs = [corpus["project"], *corpus["tasks"][:6]]
    a = extract(logs, tmp_path / "a", ExtractOptions(seed=5, hf_copy=False), tasks=suite)
    b = extract(logs, tmp_path / "b", ExtractOptions(seed=5, hf_copy=False), tasks=suite)
    assert a["sft"]["rows"] == b["sft"]["rows"]
    for name in ("sft_train.jsonl", "sft_eval.jsonl", "dpo_train.jsonl", "dpo_eval.jsonl"):
        assert (tmp_path / "a" / "code" / name).read_bytes() == (tmp_path / "b" / "code" / name).read_bytes()
    sessions = [f"s{i}" for i in range(2000)]
    share = sum(is_eval(s, seed=5, eval_fraction=0.2) for s in sessions) / len(sessions)
    assert 0.17 < share < 0.23
    assert [is_eval(s, seed=5, eval_fraction=0.2) for s in sessions] != [
        is_eval(s, seed=6, eval_fraction=0.2) for s in sessions
    ]


def test_planted_secrets_survive_nowhere_in_the_output(extracted):
    out, report = extracted
    blobs = [p.read_bytes() for p in out.rglob("*") if p.is_file()]
    assert len(blobs) > 30  # jsonl, arrow shards, dataset infos, card, report
    for name, secret in SECRETS.items():
        assert not any(secret.encode() in blob for blob in blobs), name
    for kind in (
        "openai_key",
        "aws_access_key_id",
        "github_token",
        "slack_token",
        "hf_token",
        "jwt",
        "url_password",
        "email",
        "private_key",
    ):
        assert report["redactions"].get(kind, 0) >= 1, kind
    assert any("[REDACTED:" in json.dumps(r) for r in all_rows(out, "sft"))


def test_report_counts_labels_and_task_coverage(extracted, suite):
    _, report = extracted
    calls = report["calls"]
    assert set(calls["coherence"]) == {"coherent", "incoherent", "unclear"}
    assert 0 < calls["unclear_share"] < 1
    assert calls["validity"]["unknown_tool"] == 1 and calls["validity"]["schema_violation"] >= 1
    assert calls["approval"]["denied_by_user"] == 1
    cov = report["coverage"]
    assert cov["tasks_in_suite"] == len(suite) and cov["tasks_without_rows"] == []
    kinds = {f"{t.tags.kind}/{t.tags.difficulty}" for t in suite}
    assert set(cov["sft_by_kind_difficulty"]) | set(cov["dpo_by_kind_difficulty"]) == kinds
    assert report["inputs"]["read_errors"] == 0 and report["inputs"]["records"]["model_call"] > 50


def test_tiers_option_limits_the_output(corpus, suite, tmp_path):
    report = extract(
        [corpus["project"]], tmp_path / "o", ExtractOptions(tiers=("simple",), hf_copy=False), tasks=suite
    )
    assert sorted(p.name for p in (tmp_path / "o").iterdir() if p.is_dir()) == ["simple"]
    assert report["sft"]["skipped"]["tier_not_selected"] >= 1


def test_replay_rows_join_train_only_and_bad_lines_are_counted(corpus, suite, tmp_path):
    replay = tmp_path / "chat.jsonl"
    words = ["apple", "river", "stone", "cloud", "maple", "ember", "frost", "lunar", "meadow", "quartz"]
    good = [
        {
            "messages": [
                {"role": "user", "content": f"tell me about {a} {b}"},
                {"role": "assistant", "content": f"{b} and {a} are words"},
            ]
        }
        for a in words
        for b in words
        if a != b
    ]
    lines = [json.dumps(g) for g in good] + [
        "not json",
        json.dumps({"messages": [{"role": "user", "content": "x"}]}),
        json.dumps({"messages": [{"role": "robot", "content": "x"}]}),
    ]
    replay.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe\n")
    out = tmp_path / "o"
    report = extract(
        [corpus["project"]],
        out,
        ExtractOptions(tiers=("code",), replay=replay, replay_fraction=0.5, eval_fraction=0.0, hf_copy=False),
        tasks=suite,
    )
    train = rows(out, "code", "sft_train")
    replayed = [r for r in train if r["source"] == "replay"]
    assert len(replayed) == report["replay"]["added_code"] == len(train) - len(replayed)
    assert all(r["source"] != "replay" for r in rows(out, "code", "sft_eval"))
    assert {k: report["replay"][k] for k in ("not_json", "no_assistant_message", "bad_role", "not_utf8")} == {
        "not_json": 1,
        "no_assistant_message": 1,
        "bad_role": 1,
        "not_utf8": 1,
    }


def test_refuses_a_foreign_non_empty_dir_and_reuses_an_earlier_extraction(corpus, suite, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(OutputDirError, match="no earlier extraction"):
        extract([corpus["project"]], tmp_path, ExtractOptions(hf_copy=False), tasks=suite)
    out = tmp_path / "o"
    extract([corpus["project"]], out, ExtractOptions(hf_copy=False), tasks=suite)
    extract([corpus["project"]], out, ExtractOptions(tiers=("code",), hf_copy=False), tasks=suite)
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["code"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (ExtractOptions(tiers=("fast",)), "unknown tier"),
        (ExtractOptions(eval_fraction=1.5), "eval-fraction"),
        (ExtractOptions(replay_fraction=1.0), "replay-fraction"),
        (ExtractOptions(replay=Path("/nonexistent/chat.jsonl")), "does not exist"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(corpus, tmp_path, options, message):
    with pytest.raises(ExtractError, match=message):
        extract([corpus["project"]], tmp_path / "o", options, tasks=[])
    assert not (tmp_path / "o").exists()


def test_log_globs_bring_rotated_files_in_order(tmp_path):
    for name in ("m.log.2", "m.log.10", "m.log", "m.log.1", "other.log"):
        (tmp_path / name).write_text("")
    assert [p.name for p in expand_logs([str(tmp_path / "m.log")])] == [
        "m.log.1",
        "m.log.2",
        "m.log.10",
        "m.log",
    ]
    assert [p.name for p in expand_logs([str(tmp_path / "*.log*")])] == [
        "m.log.1",
        "m.log.2",
        "m.log.10",
        "m.log",
        "other.log",
    ]
    with pytest.raises(ExtractError, match="matches no file"):
        expand_logs([str(tmp_path / "nothing*")])


def test_cli_writes_the_dataset_and_prints_the_summary(corpus, tmp_path, capsys):
    out = tmp_path / "o"
    rc = main(["--logs", str(corpus["project"]), "--out", str(out), "--tiers", "code", "--seed", "2"])
    err = capsys.readouterr().err
    if not HAS_DATASETS:
        assert rc == 2 and "pip install 'entropi[train]'" in err
        return
    assert rc == 0
    assert "SFT rows per tier/split" in err and f"wrote {out}" in err
    assert json.loads((out / "report.json").read_text())["options"]["seed"] == 2
    assert main(["--logs", str(tmp_path / "none*"), "--out", str(tmp_path / "x")]) == 2
    assert "matches no file" in capsys.readouterr().err
