"""`bash.execute`: run a shell command in the project root and report its output and exit code.

Scope: `bash -c` in its own process group with stdin closed, stdout+stderr merged, the environment inherited
plus `GIT_PAGER=cat` / `PAGER=cat`; a time limit (default `bash_timeout_s`, at most `bash_max_timeout_s`) and
the cancel flag kill the whole group; background processes that still hold the output pipe after the command
ends are killed too (they would otherwise keep the call open). Output is decoded with replacement, binary
output is replaced by a note, and long output keeps its head and (mostly) its tail within
`result_max_chars`. A non-zero exit is a successful call (status "ok", the code in `data["exit_code"]`).
Non-goals: sandboxing (permissions decide what runs), processes that leave the group with `setsid`, Windows.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from typing import Any

from entropi.agent.tools.base import ToolBase, ToolContext, ToolError, ToolResult

POLL_S = 0.05
LINGER_S = 0.5
DRAIN_S = 1.0
CHUNK = 65536
KEEP_BYTES = 1 << 20


class _Output:
    """The first and last KEEP_BYTES of a stream, and its total length."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = KEEP_BYTES - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > KEEP_BYTES:
            del self.tail[: len(self.tail) - KEEP_BYTES]

    def render(self, budget: int) -> str:
        """The output as text within `budget` characters (a quarter head, the rest tail), or a binary note."""
        if not self.total:
            return "(no output)"
        cut = self.total > 2 * KEEP_BYTES
        if cut:
            head, tail = self.head.decode("utf-8", "replace"), self.tail.decode("utf-8", "replace")
        else:
            head, tail = bytes(self.head + self.tail).decode("utf-8", "replace"), ""
        bad = head.count("\ufffd") + tail.count("\ufffd")
        if b"\x00" in self.head or b"\x00" in self.tail or (bad > 3 and bad * 10 > len(head) + len(tail)):
            return f"[binary output: {self.total} bytes, not shown]"
        if not cut and len(head) <= budget:
            return head
        text = head + tail
        keep_head = budget // 4
        return (
            f"{text[:keep_head]}\n[… the middle of {self.total} bytes of output is cut …]\n"
            f"{text[-(budget - keep_head) :]}"
        )


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _pump(proc: subprocess.Popen[bytes], out: _Output, ctx: ToolContext, timeout: float) -> str | None:
    """Collect output until the command ends: None, or "timeout" / "cancelled" / "lingering"."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    exited_at: float | None = None
    eof = False
    while True:
        if eof:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(POLL_S)
        elif select.select([fd], [], [], POLL_S)[0]:
            chunk = os.read(fd, CHUNK)
            if chunk:
                out.add(chunk)
            else:
                eof = True
        now = time.monotonic()
        if proc.poll() is not None:
            if eof:
                return None
            exited_at = now if exited_at is None else exited_at
            if now - exited_at > LINGER_S:
                return "lingering"
        if ctx.cancel is not None and ctx.cancel.is_set():
            return "cancelled"
        if now >= deadline:
            return "timeout"


def _drain(proc: subprocess.Popen[bytes], out: _Output) -> None:
    """Read what the killed group left in the pipe, for at most DRAIN_S."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline and select.select([fd], [], [], POLL_S)[0]:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            return
        out.add(chunk)


def _timeout(args: dict[str, Any], ctx: ToolContext) -> tuple[float, str | None]:
    asked = args.get("timeout_s")
    if asked is None:
        return ctx.config.bash_timeout_s, None
    if isinstance(asked, bool) or not isinstance(asked, int | float) or asked < 1:
        raise ToolError("invalid_arguments", "timeout_s must be a number of seconds, at least 1")
    limit = ctx.config.bash_max_timeout_s
    if asked > limit:
        return limit, f"[timeout_s {asked} was capped at {limit:g} s]"
    return float(asked), None


class BashTool(ToolBase):
    name = "bash.execute"
    mutates = True

    def subject(self, args: dict[str, Any]) -> str:
        command = args.get("command")
        return command if isinstance(command, str) else ""

    def run(self, args: dict[str, Any], ctx: ToolContext) -> ToolResult:
        command = args.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ToolError("invalid_arguments", "command is empty")
        timeout, note = _timeout(args, ctx)
        env = {**os.environ, "GIT_PAGER": "cat", "PAGER": "cat"}
        try:
            proc = subprocess.Popen(
                ["bash", "-c", command],
                cwd=ctx.project_root,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )
        except FileNotFoundError as exc:
            raise ToolError("bash_missing", "bash is not installed or not on PATH") from exc
        out = _Output()
        try:
            outcome = _pump(proc, out, ctx, timeout)
            if outcome is not None:
                _kill_group(proc)
                _drain(proc, out)
        finally:
            if proc.poll() is None:
                _kill_group(proc)
            assert proc.stdout is not None
            proc.stdout.close()
            proc.wait()
        budget = max(ctx.config.result_max_chars - 200, 100)
        lines = [out.render(budget).rstrip("\n")]
        if note:
            lines.append(note)
        data: dict[str, Any] = {"exit_code": proc.returncode, "output_bytes": out.total}
        if outcome == "timeout":
            lines.append(f"[timed out after {timeout:g} s; the command and its child processes were killed]")
            return ToolResult.error("timeout", "\n".join(lines), data={**data, "exit_code": None})
        if outcome == "cancelled":
            lines.append("[cancelled by the user; the command and its child processes were killed]")
            return ToolResult.error("cancelled", "\n".join(lines), data={**data, "exit_code": None})
        if outcome == "lingering":
            lines.append("[background processes still holding the output were killed]")
        lines.append(f"[exit code {proc.returncode}]")
        return ToolResult.ok("\n".join(lines), data=data)
