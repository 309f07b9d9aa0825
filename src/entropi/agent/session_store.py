"""Chat sessions on disk: one SQLite file (`.entropi/sessions.sqlite`) with messages, tool runs and feedback.

The schema grows by named, append-only migrations recorded in `schema_migrations`; opening a store applies the
missing ones in one transaction. Messages are stored whole as JSON (`data_json`) and read back equal. A file
that is not a sound SQLite database, or one written by a newer entropi, raises `SessionStoreError` and is left
as it was. One store may be used from several threads (a lock serializes calls); several stores, in this or
other processes, may share a file (WAL mode, busy timeout).
Non-goals: the model log (`entropi.modellog` is the training record; this is for resuming chats), search,
deleting sessions.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from entropi.modellog.records import utc_now

SESSIONS_FILE = Path(".entropi") / "sessions.sqlite"
BUSY_TIMEOUT_S = 5.0

# Append-only: never edit or reorder an entry that has shipped; add a new one instead.
MIGRATIONS: list[tuple[str, tuple[str, ...]]] = [
    (
        "create_sessions_messages_tools_feedback",
        (
            """CREATE TABLE sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
            """CREATE TABLE messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id),
                turn_index INTEGER NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL,
                data_json TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (session_id, seq))""",
            """CREATE TABLE tool_executions (
                id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id),
                turn_index INTEGER NOT NULL, call_id TEXT NOT NULL, name TEXT NOT NULL,
                arguments_json TEXT NOT NULL, status TEXT NOT NULL, content TEXT NOT NULL,
                duration_ms REAL NOT NULL, decision TEXT, created_at TEXT NOT NULL)""",
            """CREATE TABLE feedback (
                id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id),
                turn_index INTEGER NOT NULL, signal TEXT NOT NULL, detail TEXT, created_at TEXT NOT NULL)""",
            "CREATE INDEX messages_session ON messages (session_id)",
            "CREATE INDEX tool_executions_session ON tool_executions (session_id)",
            "CREATE INDEX feedback_session ON feedback (session_id)",
            "CREATE INDEX sessions_updated ON sessions (updated_at)",
        ),
    ),
]


class SessionStoreError(Exception):
    """The session file cannot be used, or a call's arguments are invalid."""


@dataclass(frozen=True)
class SessionInfo:
    """One session as listed: ids and times, plus how many messages it holds."""

    id: str
    title: str
    created_at: str
    updated_at: str
    message_count: int


@dataclass(frozen=True)
class ToolExecution:
    """One recorded tool call and its result."""

    turn_index: int
    call_id: str
    name: str
    arguments: Any
    status: str
    content: str
    duration_ms: float
    decision: str | None
    created_at: str


@dataclass(frozen=True)
class Feedback:
    """One /good or /bad signal on a turn."""

    turn_index: int
    signal: str
    detail: str | None
    created_at: str


class SessionStore:
    """The sessions database at `path` (created with its folder when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise SessionStoreError(f"{path}: cannot open the session database: {exc}") from None
        try:
            self._check_sound()  # before anything that could write to the file
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise SessionStoreError(f"{path}: cannot switch the session database to WAL mode ({mode})")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._db.close()
            raise SessionStoreError(f"{path}: not a usable session database: {exc}") from None
        except SessionStoreError:
            self._db.close()
            raise

    @property
    def schema_version(self) -> int:
        """The number of migrations applied to the file."""
        with self._use():
            return self._applied_version()

    def create_session(self, title: str) -> str:
        """Start a session and return its id."""
        if not isinstance(title, str):
            raise SessionStoreError(f"session title must be a string, got {type(title).__name__}")
        session_id = uuid.uuid4().hex[:16]
        with self._use(write=True):
            now = self._stamp()
            self._db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", (session_id, title, now, now))
        return session_id

    def list_sessions(self, limit: int = 20) -> list[SessionInfo]:
        """The most recently active sessions first."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise SessionStoreError(f"limit must be a positive integer, got {limit!r}")
        with self._use():
            rows = self._db.execute(
                "SELECT s.id, s.title, s.created_at, s.updated_at, "
                "(SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id) "
                "FROM sessions s ORDER BY s.updated_at DESC, s.rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [SessionInfo(*row) for row in rows]

    def latest_session(self) -> str | None:
        """The id of the most recently active session, or None when there is none."""
        sessions = self.list_sessions(limit=1)
        return sessions[0].id if sessions else None

    def append_message(self, session_id: str, turn_index: int, message: dict[str, Any]) -> None:
        """Add `message` (a chat message dict with a string `role`) after the session's last message."""
        if not isinstance(message, dict) or not isinstance(message.get("role"), str) or not message["role"]:
            raise SessionStoreError("a message must be a dict with a non-empty string 'role'")
        data_json = _exact_json(message, "message")
        content = message.get("content")
        if not isinstance(content, str):
            content = "" if content is None else _exact_json(content, "message content")
        with self._use(write=True):
            seq = self._db.execute(
                "SELECT COALESCE(MAX(seq), -1) + 1 FROM messages WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
            row = {"seq": seq, "role": message["role"], "content": content, "data_json": data_json}
            self._insert("messages", session_id, turn_index, row)

    def messages(self, session_id: str) -> list[dict[str, Any]]:
        """The session's messages in the order they were appended."""
        return [message for _, message in self.message_rows(session_id)]

    def message_rows(self, session_id: str) -> list[tuple[int, dict[str, Any]]]:
        """The session's messages in order, each with the turn it belongs to."""
        sql = "SELECT turn_index, data_json FROM messages WHERE session_id = ? ORDER BY seq"
        return [(turn, json.loads(data)) for turn, data in self._select(sql, session_id)]

    def record_tool(
        self,
        session_id: str,
        turn_index: int,
        call_id: str,
        name: str,
        arguments: Any,
        status: Literal["ok", "error"],
        content: str,
        duration_ms: float,
        decision: str | None,
    ) -> None:
        """Record one executed (or refused) tool call; `decision` is the permission outcome, if any."""
        if status not in ("ok", "error"):
            raise SessionStoreError(f"tool status must be 'ok' or 'error', got {status!r}")
        for label, value in (("call_id", call_id), ("name", name), ("content", content)):
            if not isinstance(value, str):
                raise SessionStoreError(f"tool {label} must be a string, got {type(value).__name__}")
        if decision is not None and not isinstance(decision, str):
            raise SessionStoreError(f"tool decision must be a string or None, got {type(decision).__name__}")
        if not _is_number(duration_ms) or duration_ms < 0:
            raise SessionStoreError(f"duration_ms must be a finite non-negative number, got {duration_ms!r}")
        row = {
            "call_id": call_id, "name": name, "arguments_json": _exact_json(arguments, "tool arguments"),
            "status": status, "content": content, "duration_ms": float(duration_ms), "decision": decision,
        }  # fmt: skip
        with self._use(write=True):
            self._insert("tool_executions", session_id, turn_index, row)

    def tool_executions(self, session_id: str) -> list[ToolExecution]:
        """The session's recorded tool calls, oldest first."""
        rows = self._select(
            "SELECT turn_index, call_id, name, arguments_json, status, content, duration_ms, decision, "
            "created_at FROM tool_executions WHERE session_id = ? ORDER BY id",
            session_id,
        )
        return [ToolExecution(r[0], r[1], r[2], json.loads(r[3]), *r[4:]) for r in rows]

    def add_feedback(
        self, session_id: str, turn_index: int, signal: Literal["good", "bad"], detail: str | None
    ) -> None:
        """Record a /good or /bad signal on a turn."""
        if signal not in ("good", "bad"):
            raise SessionStoreError(f"feedback signal must be 'good' or 'bad', got {signal!r}")
        if detail is not None and not isinstance(detail, str):
            raise SessionStoreError(f"feedback detail must be a string or None, got {type(detail).__name__}")
        with self._use(write=True):
            self._insert("feedback", session_id, turn_index, {"signal": signal, "detail": detail})

    def feedback(self, session_id: str) -> list[Feedback]:
        """The session's feedback signals, oldest first."""
        sql = "SELECT turn_index, signal, detail, created_at FROM feedback WHERE session_id = ? ORDER BY id"
        return [Feedback(*row) for row in self._select(sql, session_id)]

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_sound(self) -> None:
        """Refuse files that are not SQLite or are damaged; reads only."""
        problems = [row[0] for row in self._db.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise SessionStoreError(
                f"{self.path}: the session database is damaged: {'; '.join(problems[:3])}"
            )
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "schema_migrations" not in tables:
            raise SessionStoreError(
                f"{self.path}: an SQLite database of something else (tables: {', '.join(sorted(tables))}), "
                f"not an entropi session store"
            )

    def _migrate(self) -> None:
        with _transaction(self._db):
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            applied = dict(self._db.execute("SELECT version, name FROM schema_migrations").fetchall())
            known = {version: name for version, (name, _) in enumerate(MIGRATIONS, start=1)}
            newer = sorted(set(applied) - set(known))
            if newer:
                raise SessionStoreError(
                    f"{self.path}: written by a newer entropi (schema version {newer[-1]}, this one knows up "
                    f"to {len(MIGRATIONS)}); upgrade entropi or use another file"
                )
            for version, name in applied.items():
                if known[version] != name:
                    raise SessionStoreError(
                        f"{self.path}: schema version {version} is {name!r} in the file but "
                        f"{known[version]!r} here; the file was written by an incompatible entropi"
                    )
            for version, (name, statements) in enumerate(MIGRATIONS, start=1):
                if version in applied:
                    continue
                for statement in statements:
                    self._db.execute(statement)
                self._db.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, utc_now()))

    def _applied_version(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]

    @contextmanager
    def _use(self, *, write: bool = False) -> Iterator[None]:
        """Hold the lock (and a write transaction); turn SQLite failures into SessionStoreError."""
        with self._lock:
            try:
                if write:
                    with _transaction(self._db):
                        yield
                else:
                    yield
            except sqlite3.Error as exc:
                raise SessionStoreError(f"{self.path}: session database error: {exc}") from None

    def _require_session(self, session_id: str) -> None:
        if not isinstance(session_id, str):
            raise SessionStoreError(f"session id must be a string, got {type(session_id).__name__}")
        if self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
            raise SessionStoreError(f"no session {session_id!r} in {self.path}")

    def _insert(self, table: str, session_id: str, turn_index: int, row: dict[str, Any]) -> None:
        """Insert a row of `table` for the session's turn and mark the session active (in a write)."""
        if isinstance(turn_index, bool) or not isinstance(turn_index, int) or turn_index < 0:
            raise SessionStoreError(f"turn_index must be a non-negative integer, got {turn_index!r}")
        self._require_session(session_id)
        now = self._stamp()
        columns = {"session_id": session_id, "turn_index": turn_index, **row, "created_at": now}
        marks = ", ".join("?" * len(columns))
        self._db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", tuple(columns.values())
        )
        self._db.execute("UPDATE sessions SET updated_at = ? WHERE id = ?", (now, session_id))

    def _stamp(self) -> str:
        """Now (UTC, microseconds), kept later than every session's `updated_at` so activity order is exact
        even within one clock tick or when the clock steps back. Call inside a write transaction."""
        now = datetime.now(UTC)
        latest = self._db.execute("SELECT MAX(updated_at) FROM sessions").fetchone()[0]
        if latest is not None:
            now = max(now, datetime.fromisoformat(latest) + timedelta(microseconds=1))
        return now.isoformat(timespec="microseconds").replace("+00:00", "Z")

    def _select(self, sql: str, session_id: str) -> list[tuple[Any, ...]]:
        with self._use():
            self._require_session(session_id)
            return self._db.execute(sql, (session_id,)).fetchall()


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back when the block or the commit fails (autocommit connection)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _exact_json(value: Any, what: str) -> str:
    """JSON text that reads back equal to `value`, or SessionStoreError (tuples, NaN, non-str keys...)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SessionStoreError(f"{what} is not JSON-serializable: {exc}") from None
    if json.loads(text) != value:
        raise SessionStoreError(f"{what} would not read back equal from JSON (tuples or non-string keys?)")
    return text
