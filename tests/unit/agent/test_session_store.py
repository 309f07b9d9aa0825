"""The SQLite session store on real files: schema pin, migrations, round-trips, sharing, damaged files."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from entropi.agent.session_store import (
    MIGRATIONS,
    Feedback,
    SessionStore,
    SessionStoreError,
    ToolExecution,
)

SCHEMA = {
    "schema_migrations": ["version", "name", "applied_at"],
    "sessions": ["id", "title", "created_at", "updated_at"],
    "messages": ["id", "session_id", "turn_index", "seq", "role", "content", "data_json", "created_at"],
    "tool_executions": [
        "id", "session_id", "turn_index", "call_id", "name", "arguments_json", "status", "content",
        "duration_ms", "decision", "created_at",
    ],
    "feedback": ["id", "session_id", "turn_index", "signal", "detail", "created_at"],
}  # fmt: skip

MESSAGES: list[dict[str, Any]] = [
    {"role": "system", "content": "You are entropi."},
    {"role": "user", "content": "fix the bug in ünïcode.py 🐛"},
    {
        "role": "assistant",
        "content": "",
        "reasoning_content": "<think>read first</think>",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "filesystem.read_file", "arguments": {"path": "a.py", "start_line": 1}},
            },
        ],
    },
    {"role": "tool", "tool_call_id": "c1", "name": "filesystem.read_file", "content": "x = 1\n"},
    {"role": "assistant", "content": None, "nested": {"list": [1, 2.5, True, None, {"k": "v"}]}},
    {"role": "assistant", "content": [{"type": "text", "text": "parts"}]},
]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / ".entropi" / "sessions.sqlite"


@pytest.fixture
def store(db_path: Path) -> Any:
    s = SessionStore(db_path)
    yield s
    s.close()


def test_schema_pin(store: SessionStore, db_path: Path) -> None:
    db = sqlite3.connect(db_path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables - {"sqlite_sequence"} == set(SCHEMA)
    for table, columns in SCHEMA.items():
        assert [row[1] for row in db.execute(f"PRAGMA table_info({table})")] == columns, table
    indexes = {row[0] for row in db.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'index'")}
    assert {"messages", "tool_executions", "feedback"} <= indexes
    for table in ("messages", "tool_executions", "feedback"):
        indexed = [
            db.execute(f"PRAGMA index_info({row[1]})").fetchall()[0][2]
            for row in db.execute(f"PRAGMA index_list({table})")
        ]
        assert "session_id" in indexed, table
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_migrations_are_recorded_and_idempotent(store: SessionStore, db_path: Path) -> None:
    sid = store.create_session("keep me")
    store.close()
    again = SessionStore(db_path)
    assert again.schema_version == len(MIGRATIONS)
    assert again.list_sessions()[0].id == sid
    again.close()
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(n, name) for n, (name, _) in enumerate(MIGRATIONS, start=1)]
    db.close()


def test_messages_round_trip_in_order(store: SessionStore) -> None:
    sid = store.create_session("first")
    for turn, message in enumerate(MESSAGES):
        store.append_message(sid, turn // 2, message)
    assert store.messages(sid) == MESSAGES
    assert [turn for turn, _ in store.message_rows(sid)] == [0, 0, 1, 1, 2, 2]
    other = store.create_session("second")
    store.append_message(other, 0, {"role": "user", "content": "hi"})
    assert store.messages(other) == [{"role": "user", "content": "hi"}]
    assert store.messages(sid) == MESSAGES


def test_content_column_is_readable_text(store: SessionStore, db_path: Path) -> None:
    sid = store.create_session("t")
    for message in MESSAGES[4:]:
        store.append_message(sid, 0, message)
    db = sqlite3.connect(db_path)
    assert [row[0] for row in db.execute("SELECT content FROM messages ORDER BY seq")] == [
        "",
        '[{"type": "text", "text": "parts"}]',
    ]
    db.close()


def test_list_and_latest(store: SessionStore) -> None:
    assert store.latest_session() is None
    assert store.list_sessions() == []
    a = store.create_session("a")
    b = store.create_session("b")
    assert store.latest_session() == b
    store.append_message(a, 0, {"role": "user", "content": "back to a"})
    infos = store.list_sessions()
    assert [(i.id, i.title, i.message_count) for i in infos] == [(a, "a", 1), (b, "b", 0)]
    assert infos[0].updated_at >= infos[0].created_at
    assert store.latest_session() == a
    assert [i.id for i in store.list_sessions(limit=1)] == [a]
    many = [store.create_session(f"s{n}") for n in range(25)]
    assert [i.id for i in store.list_sessions()] == many[::-1][:20]


def test_activity_order_survives_a_clock_step_back(store: SessionStore, db_path: Path) -> None:
    old = store.create_session("old")
    db = sqlite3.connect(db_path)
    db.execute("UPDATE sessions SET updated_at = '2099-01-01T00:00:00.000000Z' WHERE id = ?", (old,))
    db.commit()
    db.close()
    new = store.create_session("new")  # the clock now reads earlier than the stored time
    assert store.latest_session() == new
    store.add_feedback(old, 0, "good", None)
    assert store.latest_session() == old
    stamps = [info.updated_at for info in store.list_sessions()]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 2


def test_tool_executions_and_feedback(store: SessionStore) -> None:
    sid = store.create_session("t")
    store.record_tool(sid, 0, "c1", "bash.execute", {"command": "ls"}, "ok", "a.py\n", 12.5, "allow")
    store.record_tool(sid, 1, "c2", "filesystem.write_file", {"path": "x"}, "error", "denied", 0, None)
    store.add_feedback(sid, 1, "bad", "wrong file")
    store.add_feedback(sid, 2, "good", None)
    runs = store.tool_executions(sid)
    assert [r.call_id for r in runs] == ["c1", "c2"]
    assert runs[0] == ToolExecution(
        0, "c1", "bash.execute", {"command": "ls"}, "ok", "a.py\n", 12.5, "allow", runs[0].created_at
    )
    assert (runs[1].status, runs[1].decision, runs[1].duration_ms) == ("error", None, 0.0)
    notes = store.feedback(sid)
    assert notes == [
        Feedback(1, "bad", "wrong file", notes[0].created_at),
        Feedback(2, "good", None, notes[1].created_at),
    ]


def test_two_stores_on_one_file_see_each_other(db_path: Path) -> None:
    first = SessionStore(db_path)
    second = SessionStore(db_path)
    sid = first.create_session("shared")
    second.append_message(sid, 0, {"role": "user", "content": "from second"})
    first.append_message(sid, 0, {"role": "assistant", "content": "from first"})
    assert (
        second.messages(sid)
        == first.messages(sid)
        == [
            {"role": "user", "content": "from second"},
            {"role": "assistant", "content": "from first"},
        ]
    )
    second.add_feedback(sid, 0, "good", None)
    assert len(first.feedback(sid)) == 1
    first.close()
    second.close()


def test_one_store_from_many_threads(store: SessionStore) -> None:
    sid = store.create_session("threads")

    def work(n: int) -> None:
        for i in range(20):
            store.append_message(sid, n, {"role": "user", "content": f"{n}-{i}"})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    contents = [m["content"] for m in store.messages(sid)]
    assert sorted(contents) == sorted(f"{n}-{i}" for n in range(4) for i in range(20))
    for n in range(4):  # each thread's messages keep their own order
        assert [c for c in contents if c.startswith(f"{n}-")] == [f"{n}-{i}" for i in range(20)]


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda s, sid: s.append_message("nope", 0, {"role": "user"}), "no session 'nope'"),
        (lambda s, sid: s.append_message(sid, 0, {"content": "no role"}), "non-empty string 'role'"),
        (lambda s, sid: s.append_message(sid, 0, ["role", "user"]), "must be a dict"),
        (lambda s, sid: s.append_message(sid, -1, {"role": "user"}), "turn_index"),
        (lambda s, sid: s.append_message(sid, True, {"role": "user"}), "turn_index"),
        (lambda s, sid: s.append_message(sid, 0, {"role": "user", "x": {1, 2}}), "not JSON-serializable"),
        (lambda s, sid: s.append_message(sid, 0, {"role": "user", "x": float("nan")}), "not JSON"),
        (lambda s, sid: s.append_message(sid, 0, {"role": "user", "x": (1, 2)}), "read back equal"),
        (lambda s, sid: s.append_message(sid, 0, {"role": "user", "x": {1: "a"}}), "read back equal"),
        (lambda s, sid: s.record_tool(sid, 0, "c", "t", {}, "maybe", "", 1.0, None), "'ok' or 'error'"),
        (lambda s, sid: s.record_tool(sid, 0, "c", "t", {}, "ok", None, 1.0, None), "content must be"),
        (lambda s, sid: s.record_tool(sid, 0, "c", "t", {}, "ok", "", -1, None), "duration_ms"),
        (lambda s, sid: s.record_tool(sid, 0, "c", "t", {}, "ok", "", float("inf"), None), "duration_ms"),
        (lambda s, sid: s.record_tool(sid, 0, "c", "t", {}, "ok", "", 1, 5), "decision must be"),
        (lambda s, sid: s.record_tool("nope", 0, "c", "t", {}, "ok", "", 1, None), "no session"),
        (lambda s, sid: s.add_feedback(sid, 0, "meh", None), "'good' or 'bad'"),
        (lambda s, sid: s.add_feedback(sid, 0, "good", 3), "detail must be"),
        (lambda s, sid: s.messages("nope"), "no session"),
        (lambda s, sid: s.feedback(123), "session id must be a string"),
        (lambda s, sid: s.list_sessions(limit=0), "positive integer"),
        (lambda s, sid: s.create_session(None), "title must be a string"),
    ],
)
def test_bad_arguments_raise_clear_errors_and_store_nothing(
    store: SessionStore, call: Any, problem: str
) -> None:
    sid = store.create_session("t")
    with pytest.raises(SessionStoreError, match=problem):
        call(store, sid)
    assert store.messages(sid) == []
    assert store.tool_executions(sid) == []
    assert store.feedback(sid) == []
    assert len(store.list_sessions()) == 1


def test_closed_store_raises_store_error(db_path: Path) -> None:
    s = SessionStore(db_path)
    s.close()
    with pytest.raises(SessionStoreError, match="session database error"):
        s.create_session("late")


def _valid_database(path: Path) -> bytes:
    s = SessionStore(path)
    sid = s.create_session("data")
    for n in range(300):
        s.append_message(sid, n, {"role": "user", "content": "x" * 200})
    s.close()  # the last connection checkpoints the WAL into the main file
    return path.read_bytes()


def _assert_refused_and_untouched(path: Path, problem: str) -> None:
    before = path.read_bytes()
    siblings = sorted(os.listdir(path.parent))
    with pytest.raises(SessionStoreError, match=problem) as info:
        SessionStore(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == siblings


def test_random_bytes_file(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(os.urandom(8192))
    _assert_refused_and_untouched(db_path, "not a usable session database")


def test_text_file(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_text("these are my notes, not a database\n" * 10, encoding="utf-8")
    _assert_refused_and_untouched(db_path, "not a usable session database")


@pytest.mark.parametrize("keep", ["60 bytes", "one page", "half"])
def test_truncated_file(db_path: Path, keep: str) -> None:
    data = _valid_database(db_path)
    size = {"60 bytes": 60, "one page": 4096, "half": len(data) // 2}[keep]
    db_path.write_bytes(data[:size])
    _assert_refused_and_untouched(db_path, "not a usable session database: database disk image is malformed")


def test_damaged_page_inside_the_file(db_path: Path) -> None:
    data = bytearray(_valid_database(db_path))
    page = 4096
    data[3 * page : 3 * page + 200] = b"\xff" * 200  # garble a B-tree page; the header stays sound
    db_path.write_bytes(bytes(data))
    _assert_refused_and_untouched(db_path, "the session database is damaged")


def test_sqlite_file_of_another_program(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.execute("CREATE TABLE recipes (name TEXT)")
    db.commit()
    db.close()
    _assert_refused_and_untouched(db_path, "not an entropi session store")


def test_database_from_a_newer_entropi(store: SessionStore, db_path: Path) -> None:
    store.close()
    db = sqlite3.connect(db_path)
    db.execute("INSERT INTO schema_migrations VALUES (?, 'from_the_future', '2099-01-01T00:00:00Z')",
               (len(MIGRATIONS) + 1,))  # fmt: skip
    db.commit()
    db.close()
    with pytest.raises(SessionStoreError, match=rf"newer entropi \(schema version {len(MIGRATIONS) + 1}"):
        SessionStore(db_path)


def test_database_with_a_foreign_migration_name(store: SessionStore, db_path: Path) -> None:
    store.close()
    db = sqlite3.connect(db_path)
    db.execute("UPDATE schema_migrations SET name = 'something_else' WHERE version = 1")
    db.commit()
    db.close()
    with pytest.raises(SessionStoreError, match="incompatible entropi"):
        SessionStore(db_path)


def test_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(SessionStoreError, match="cannot open"):
        SessionStore(tmp_path)
