"""The UI's plain parts: input history, command parsing, model info, status text, tool-card text."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

import entropi.ui
from entropi.inference.adapters import AdapterStatus
from entropi.ui.commands import SlashError, palette_entries, parse, suggestions
from entropi.ui.history import InputHistory
from entropi.ui.model_info import adapter_rows, model_lines, model_name
from entropi.ui.widgets.status_bar import context_text
from entropi.ui.widgets.tool_card import RESULT_MAX_CHARS, ToolCard, format_ms

# -- input history ----------------------------------------------------------------------------------


def test_history_navigation_keeps_the_draft(tmp_path: Path):
    history = InputHistory(tmp_path / "h.jsonl")
    for text in ("one", "two", "two", "  "):
        history.add(text)
    assert history.entries == ["one", "two"]  # repeats and blank lines are not stored
    assert history.older("draft") == "two"
    assert history.older("") == "one"
    assert history.older("") is None
    assert history.newer() == "two"
    assert history.newer() == "draft"
    assert history.newer() is None


def test_history_survives_restarts_keeps_the_newest_and_odd_text(tmp_path: Path):
    path = tmp_path / ".entropi" / "h.jsonl"
    history = InputHistory(path, limit=3)
    for text in ("a", "multi\nline", "c", 'quote " and \\ and ✓'):
        history.add(text)
    again = InputHistory(path, limit=3)
    assert again.entries == ["multi\nline", "c", 'quote " and \\ and ✓'] and not again.problems
    assert len(path.read_text().splitlines()) == 3


def test_history_reports_bad_lines_and_unreadable_files(tmp_path: Path):
    path = tmp_path / "h.jsonl"
    path.write_text('"good"\nnot json\n42\n\n"fine"\n')
    history = InputHistory(path)
    assert history.entries == ["good", "fine"]
    assert history.problems == [f"input history {path}: skipped 2 line(s) not JSON strings"]
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xff\xfe\x00bad")
    broken = InputHistory(binary)
    assert broken.entries == [] and "not read" in broken.problems[0]
    broken.add("kept in memory")
    assert binary.read_bytes() == b"\xff\xfe\x00bad"  # a file we could not read is never overwritten
    assert broken.older("") == "kept in memory"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc (no folder can be made there)")
def test_history_reports_a_file_it_cannot_write():
    history = InputHistory(Path("/proc/self/entropi-no-such-dir/h.jsonl"))
    assert not history.problems  # a missing file is an empty history
    history.add("x")
    assert history.entries == ["x"] and "not saved" in history.problems[0]
    with pytest.raises(ValueError, match="at least 1"):
        InputHistory(None, limit=0)


# -- slash command parsing ------------------------------------------------------------------------


def test_parse_splits_name_and_argument():
    command, arg = parse("/tier  code ")
    assert (command.name, arg) == ("tier", "code")
    assert parse("/GOOD nice work")[1] == "nice work"
    with pytest.raises(SlashError, match=r"unknown command /hepl \(did you mean /help\?\)"):
        parse("/hepl")
    with pytest.raises(SlashError, match="unknown command /zzz;"):
        parse("/zzz")


def test_palette_lists_each_tier_choice():
    texts = [t for t, _ in palette_entries()]
    assert "/tier auto" in texts and "/tier simple" in texts and "/tier" not in texts
    assert suggestions() == texts


# -- model info -----------------------------------------------------------------------------------


class _FakeAdapters:
    def __init__(self, statuses):
        self.statuses = statuses


class _RuntimeLike:
    """The attributes of the real Runtime that the UI reads (loading llama.cpp is not needed for this)."""

    model_id = "SmolLM2-135M-Instruct-Q4_1"
    model_path = Path("/models/smol.gguf")
    arch = "llama"
    load_ms = 812.4
    n_ctx = 4096

    def __init__(self, tmp: Path):
        adapter = tmp / "code" / "v3" / "adapter.gguf"
        self.adapters = _FakeAdapters(
            {
                "code": AdapterStatus(
                    "code",
                    adapter.parent,
                    path=adapter,
                    loaded=True,
                    version="v3",
                    manifest={"metrics": {"tool_acc": 0.91234, "cases": 40}},
                ),
                "thinking": AdapterStatus("thinking", tmp / "x", error="adapter not found: x"),
                "normal": AdapterStatus("normal", None),
            }
        )

    def adapter_label(self, tier: str) -> str:
        return "base"


def test_adapter_rows_for_a_runtime(tmp_path: Path):
    rows = {r.tier: r for r in adapter_rows(_RuntimeLike(tmp_path))}  # type: ignore[arg-type]
    assert (rows["code"].label, rows["code"].version, rows["code"].state) == ("v3", "v3", "loaded")
    assert rows["code"].metrics == "tool_acc=0.912 cases=40"
    assert rows["thinking"].state == "failed: adapter not found: x" and rows["thinking"].label == "base"
    assert rows["normal"].state == "base model (none configured)"
    assert rows["simple"].state == "no adapter configured"
    lines = model_lines(_RuntimeLike(tmp_path))  # type: ignore[arg-type]
    assert lines == [
        "model: SmolLM2-135M-Instruct-Q4_1",
        "file: /models/smol.gguf",
        "architecture: llama",
        "context: 4096 tokens",
        "loaded in 812 ms",
    ]
    assert model_name(_RuntimeLike(tmp_path)) == "SmolLM2-135M-Instruct-Q4_1"  # type: ignore[arg-type]


# -- status and card text -------------------------------------------------------------------------


def test_context_text():
    assert context_text(0, 8192) == "ctx ▱▱▱▱▱▱▱▱▱▱ 0/8.2k"
    assert context_text(4096, 8192) == "ctx ▰▰▰▰▰▱▱▱▱▱ 4.1k/8.2k"
    assert context_text(9000, 8192) == "ctx ▰▰▰▰▰▰▰▰▰▰ 9.0k/8.2k"
    assert context_text(5, 0) == "ctx ▱▱▱▱▱▱▱▱▱▱ 5/0"


def test_format_ms():
    assert [format_ms(x) for x in (0.2, 12.4, 9999, 12_345)] == ["<1 ms", "12 ms", "9999 ms", "12.3 s"]


class _Host(App):
    """A tiny host that loads the real stylesheet."""

    CSS_PATH = Path(entropi.ui.__file__).parent / "entropi.tcss"

    def __init__(self, card: ToolCard) -> None:
        super().__init__()
        self.card = card

    def compose(self) -> ComposeResult:
        yield self.card


async def test_tool_card_truncates_long_arguments_and_results():
    card = ToolCard("c1", "filesystem.write_file", {"path": "a.py", "content": "x" * 500})
    async with _Host(card).run_test() as pilot:
        assert len(card.title) < 120 and card.title.endswith("…")
        card.finish("ok", "y" * (RESULT_MAX_CHARS + 10), 3.0, None, None)
        await pilot.pause()
        assert card.result_text.endswith("[… 10 more characters]")
        assert card.title.startswith("⏺ filesystem.write_file · ✓ ok · 3 ms · ")
