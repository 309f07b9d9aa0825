"""`sft.first_turn_only`: rows cut after the first answer to the user's query."""

from __future__ import annotations

from entropi.training.config import load_finetune_config
from entropi.training.sft import first_turn

ROW = {
    "messages": [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "earlier question"},
        {"role": "assistant", "content": "earlier answer"},
        {"role": "user", "content": "investigate the bug"},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "entropi.todo_write"}}]},
        {"role": "tool", "content": "ok"},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "filesystem.read_file"}}]},
    ],
    "tools": [],
}


def test_cut_after_the_first_answer_to_the_last_user_message():
    cut = first_turn(ROW)
    assert [m["role"] for m in cut["messages"]] == ["system", "user", "assistant", "user", "assistant"]
    assert cut["messages"][-1]["tool_calls"][0]["function"]["name"] == "entropi.todo_write"
    assert cut["tools"] == [] and len(ROW["messages"]) == 7  # the input row is not modified


def test_a_row_without_an_answer_is_kept_whole_and_the_option_loads(tmp_path):
    row = {"messages": ROW["messages"][:4]}
    assert first_turn(row) is row
    config_file = tmp_path / "ft.yaml"
    config_file.write_text("tier: thinking\nsft: {first_turn_only: true}\n")
    assert load_finetune_config(config_file, {}).sft.first_turn_only is True


def test_entropi_messages_after_the_query_do_not_move_the_cut():
    """Todo anchors and repair requests are user-role messages entropi wrote, not the query."""
    row = {
        "messages": [
            *ROW["messages"][:6],
            {"role": "user", "content": "[entropi] Todo list:\n- [x] 1 Read the code"},
            {"role": "assistant", "content": "Done.", "reasoning_content": "All steps finished."},
        ]
    }
    cut = first_turn(row)
    assert len(cut["messages"]) == 5
    assert cut["messages"][-1]["tool_calls"][0]["function"]["name"] == "entropi.todo_write"
