"""The two-process extraction pass: a worker process reads, joins, labels and builds rows (`build.py`); the
main process redacts, deduplicates, splits and writes them (`sink.py`), in turn order.

The worker is forked (it inherits the set-up pipeline: no pickling of options, tasks or caches, and ~ms to
start) and sends batches of `TurnRows` through a pipe, `BATCH_TURNS` turns or `BATCH_BYTES` of log at a time,
with the reader's progress. The pipe holds up to `PIPE_BYTES` (Linux) and a send waits while it is full, so
memory stays flat however far ahead the worker could run. Rows carry the rendered history messages and
their tools list by reference: one goes by value the first time (`(ref, value)`), then as its `ref`; both
sides keep the last `REF_LIMIT` in the same first-in first-out order, and the main process `adopt`s the
messages into its `MessageCache`, so each is still redacted and serialized once. The main process applies
the turns in the order they were built, so the output is byte for byte the single-process one. At the end
the worker sends the report counters only it keeps (files, read errors, joins, calls, turn errors) and its
CPU time.

A worker that raises sends the error and exits; the main process raises `WorkerError` naming it, with the
worker's traceback. A worker that dies without a word (killed) ends the pipe: also a `WorkerError`. The
worker ignores Ctrl-C (the main process stops it) and exits with `os._exit`, touching no stdio.
Non-goals: more than one worker (the halves are two: the order of rows is fixed by the single join).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from entropi.data.build import TurnBuilder, TurnRows
from entropi.data.messages import MessageCache
from entropi.data.report import MAX_ERROR_SAMPLES, Report
from entropi.data.sink import RowSink
from entropi.data.turns import Turn

BATCH_TURNS = 2
BATCH_BYTES = 1 << 18
PIPE_BYTES = 1 << 20
REF_LIMIT = 2048
_WORKER_FIELDS = ("files", "bytes_read", "read_errors", "join", "turn_errors", "calls")

Progress = Callable[[int, int], None]
ReadTurns = Callable[[Report, Progress], Iterator[Turn]]


class WorkerError(RuntimeError):
    """The extraction worker process failed; the message names its error and holds its traceback."""


def available() -> bool:
    """Whether the two-process pass can run here (it forks)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _recode(rows: TurnRows, item: Callable[[Any], Any], *, encoded: bool) -> TurnRows:
    """`rows` with `item` applied (in place) to each message of its rows' message lists and to their tools
    lists, in one fixed order (both sides walk it); `encoded`: whether the tools lists are references."""
    tools = (int, tuple) if encoded else (list,)
    for row in [*rows.sft, *(draft.row for draft in rows.drafts)]:
        for key in ("messages", "prompt", "chosen", "rejected"):
            if type(row.get(key)) is list:
                row[key] = [item(m) for m in row[key]]
        if type(row.get("tools")) in tools:
            row["tools"] = item(row["tools"])
    return rows


class RefEncoder:
    """Worker side: a message `MessageCache.render` made, or a tools list, goes by value once, then by
    reference."""

    def __init__(self, cache: MessageCache, limit: int = REF_LIMIT) -> None:
        self.cache, self.limit = cache, limit
        self._sent: dict[int, tuple[int, Any]] = {}  # id → (ref, value), held: ids stay unique
        self._next = 0

    def encode(self, rows: TurnRows) -> TurnRows:
        """`rows` with each message and tools list encoded (in place)."""
        return _recode(rows, self._item, encoded=False)

    def _item(self, value: Any) -> Any:
        hit = self._sent.get(id(value))
        if hit is not None:
            return hit[0]
        if type(value) is dict and not self.cache.shared(value):  # a call's own output: sent by value
            return value
        if len(self._sent) >= self.limit:
            del self._sent[next(iter(self._sent))]
        ref, self._next = self._next, self._next + 1
        self._sent[id(value)] = (ref, value)
        return ref, value


class RefDecoder:
    """Main side: resolves references; messages that came by value once are adopted by `cache`."""

    def __init__(self, cache: MessageCache, limit: int = REF_LIMIT) -> None:
        self.cache, self.limit = cache, limit
        self._table: dict[int, Any] = {}

    def decode(self, rows: TurnRows) -> TurnRows:
        """`rows` with each message and tools list decoded (in place)."""
        return _recode(rows, self._item, encoded=True)

    def _item(self, item: Any) -> Any:
        kind = type(item)
        if kind is int:
            return self._table[item]
        if kind is tuple:
            ref, value = item
            if len(self._table) >= self.limit:  # the same one the encoder let go
                self.cache.forget(self._table.pop(next(iter(self._table))))
            self._table[ref] = value
            if type(value) is dict:  # a message (a tools list is a list)
                self.cache.adopt(value)
            return value
        return item


def _widen(conn: Connection) -> None:
    """Gives the pipe `PIPE_BYTES` of buffer where the OS allows (Linux; 64 kB otherwise): the worker can run
    that far ahead of the main process before a send waits."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def _error_message(exc: BaseException) -> tuple[Any, ...]:
    try:
        original: bytes | None = pickle.dumps(exc)
    except Exception:  # not picklable: the text is enough
        original = None
    text = "".join(traceback.format_exception(exc))
    return "error", type(exc).__name__, str(exc), text, original


def _work(conn: Connection, read_turns: ReadTurns, builder: TurnBuilder) -> None:
    """The worker process: build and send every turn, then the worker's report counters; never returns."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    code = 0
    try:
        cpu_started = time.process_time()
        report, encoder = builder.report, RefEncoder(builder.messages)
        seen = [0, 0]  # bytes read, total bytes

        def progress(done: int, total: int) -> None:
            seen[0], seen[1] = done, total

        batch: list[TurnRows] = []
        sent_at = 0
        for rows in builder.each(read_turns(report, progress)):
            batch.append(encoder.encode(rows))
            if len(batch) >= BATCH_TURNS or seen[0] - sent_at >= BATCH_BYTES:
                _send(conn, ("rows", batch, *seen))
                batch, sent_at = [], seen[0]
        _send(conn, ("rows", batch, *seen))
        counters = {name: getattr(report, name) for name in _WORKER_FIELDS}
        _send(conn, ("end", counters, time.process_time() - cpu_started))
    except BaseException as exc:  # everything goes to the main process
        code = 1
        with contextlib.suppress(BaseException):  # if that fails, the main process is gone: nobody to tell
            _send(conn, _error_message(exc))
    finally:
        conn.close()
        os._exit(code)  # no atexit, no stdio flush: locks another thread held at the fork stay untouched


def _merge(report: Report, counters: dict[str, Any]) -> None:
    """The worker's counters into the main report (the main process counts only the turns it failed)."""
    mine_join, mine_errors = report.join, report.turn_errors
    for name in _WORKER_FIELDS:
        setattr(report, name, counters[name])
    join: Counter[str] = report.join
    join.update(mine_join)
    report.turn_errors = [*report.turn_errors, *mine_errors][:MAX_ERROR_SAMPLES]


def _unpickled(original: bytes | None) -> BaseException | None:
    try:
        return pickle.loads(original) if original is not None else None
    except Exception:  # some exceptions do not unpickle: the text is enough
        return None


def _receive(conn: Connection, proc: multiprocessing.process.BaseProcess) -> tuple[Any, ...]:
    try:
        return pickle.loads(conn.recv_bytes())
    except EOFError:
        proc.join(5)
        raise WorkerError(
            f"the extraction worker exited (code {proc.exitcode}) before finishing: the output is incomplete"
        ) from None


def run(read_turns: ReadTurns, builder: TurnBuilder, sink: RowSink, progress: Progress | None) -> float:
    """The streaming pass in two processes (see the module docstring); returns the worker's CPU seconds.
    `read_turns(report, progress)`: the joined turns, as the single-process pass reads them."""
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    _widen(writer)
    proc = ctx.Process(target=_work, args=(writer, read_turns, builder), name="entropi-extract", daemon=True)
    proc.start()
    writer.close()  # the worker holds the only write end: its exit ends the pipe
    decoder = RefDecoder(sink.messages)
    try:
        while True:
            message = _receive(reader, proc)
            if message[0] == "rows":
                for rows in message[1]:
                    sink.apply(decoder.decode(rows))
                if progress is not None:
                    progress(message[2], message[3])
            elif message[0] == "end":
                _merge(sink.report, message[1])
                proc.join()
                return float(message[2])
            else:
                _, name, text, trace, original = message
                raise WorkerError(
                    f"the extraction worker failed: {name}: {text}\nworker traceback:\n{trace}"
                ) from _unpickled(original)
    finally:
        reader.close()
        if proc.is_alive():
            proc.terminate()
        proc.join()
