"""Adapter versions on disk and the ``current`` pointer the runtime follows.

Layout: ``<root>/<tier>/<version>/`` holds ``adapter.gguf``, ``peft/`` and ``manifest.json`` (plus the
training report); ``<root>/<tier>/current`` is a relative symlink to the promoted version, which the
runtime resolves (``inference/tier_setup.discover_adapter``). A run works in ``<root>/<tier>/.runs/<version>``
and becomes a version with one rename when it finishes, so a version dir is always complete.
``<root>/<tier>/history.json`` is the append-only list of promotions and rollbacks (what became current,
what was current before, forced or not, the gate's verdict); `rollback` walks it back one promotion.
Non-goals: deciding what to promote (the evaluation gate), validating adapters against a base (runtime).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import entropi

ADAPTER_FILE = "adapter.gguf"
MANIFEST_FILE = "manifest.json"
PEFT_DIR = "peft"
CURRENT = "current"
HISTORY_FILE = "history.json"
RUNS = ".runs"
MANIFEST_SCHEMA = 1
_VERSION = re.compile(r"^v(\d{4,})$")


class RegistryError(Exception):
    """A version or pointer that cannot be read, created or promoted."""


@dataclass
class AdapterEntry:
    """One version dir as `entropi adapters list` shows it."""

    tier: str
    version: str
    path: Path
    current: bool = False
    manifest: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None

    @property
    def base_sha256(self) -> str | None:
        base = self.manifest.get("base_model")
        return base.get("sha256") if isinstance(base, dict) else None

    @property
    def metrics(self) -> dict[str, Any]:
        value = self.manifest.get("metrics")
        return value if isinstance(value, dict) else {}


def _numbers(names: list[str]) -> list[int]:
    return [int(m.group(1)) for n in names if (m := _VERSION.match(n))]


def versions(root: Path, tier: str) -> list[str]:
    """Finished versions of ``tier``, oldest first."""
    folder = Path(root) / tier
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and _VERSION.match(p.name)]
    return sorted(names, key=lambda n: int(n[1:]))


def next_version(root: Path, tier: str) -> str:
    """The version after every finished and unfinished one (``v0001``, ``v0002``, …)."""
    folder = Path(root) / tier
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    runs = folder / RUNS
    names += [p.name for p in runs.iterdir()] if runs.is_dir() else []
    return f"v{max(_numbers(names), default=0) + 1:04d}"


def unfinished_runs(root: Path, tier: str) -> list[Path]:
    """Run dirs that never became a version, oldest first."""
    runs = Path(root) / tier / RUNS
    if not runs.is_dir():
        return []
    return sorted((p for p in runs.iterdir() if _VERSION.match(p.name)), key=lambda p: int(p.name[1:]))


def new_run(root: Path, tier: str, *, resume: bool) -> tuple[str, Path]:
    """(version, work dir): the last unfinished run when resuming, else a fresh one."""
    if resume:
        runs = unfinished_runs(root, tier)
        if not runs:
            raise RegistryError(
                f"--resume: no unfinished run for tier {tier!r} under {Path(root) / tier / RUNS}"
            )
        return runs[-1].name, runs[-1]
    version = next_version(root, tier)
    work = Path(root) / tier / RUNS / version
    work.mkdir(parents=True)
    return version, work


def finalize(work: Path, root: Path, tier: str, version: str) -> Path:
    """Turn a finished run dir into ``<root>/<tier>/<version>`` (one rename)."""
    dest = Path(root) / tier / version
    if dest.exists():
        raise RegistryError(f"{dest} already exists; refusing to overwrite a finished version")
    os.replace(work, dest)
    return dest


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = Path(folder) / MANIFEST_FILE
    tmp = path.with_name(f".{MANIFEST_FILE}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: missing") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RegistryError(f"{path}: unreadable ({exc})") from exc
    if not isinstance(data, dict):
        raise RegistryError(f"{path}: not a JSON object")
    return data


def current_version(root: Path, tier: str) -> str | None:
    """The version ``current`` points at, or None when there is no pointer."""
    link = Path(root) / tier / CURRENT
    if not link.is_symlink():
        return link.resolve().name if link.is_dir() else None
    return Path(os.readlink(link)).name


def _point(folder: Path, version: str | None) -> Path:
    """Atomically point ``folder/current`` at ``version`` (None: remove the pointer)."""
    link = folder / CURRENT
    if link.exists() and not link.is_symlink():
        raise RegistryError(f"{link} exists and is not a symlink; move it away to promote")
    if version is None:
        link.unlink(missing_ok=True)
        return link
    if not (folder / version / ADAPTER_FILE).is_file():
        raise RegistryError(f"cannot promote {folder / version}: no {ADAPTER_FILE} there")
    tmp = folder / f".{CURRENT}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(version, tmp, target_is_directory=True)
    os.replace(tmp, link)
    return link


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialize pointer + history changes of one tier across processes."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".history.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def history(root: Path, tier: str) -> list[dict[str, Any]]:
    """Every promotion and rollback of ``tier``, oldest first ([] when none was recorded)."""
    path = Path(root) / tier / HISTORY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RegistryError(f"{path}: unreadable ({exc})") from exc
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise RegistryError(f"{path}: not a JSON list of events")
    return data


def _append_history(folder: Path, event: dict[str, Any]) -> None:
    events = history(folder.parent, folder.name)
    events.append({"at": datetime.now(UTC).isoformat(timespec="seconds"), **event})
    path = folder / HISTORY_FILE
    tmp = path.with_name(f".{HISTORY_FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(events, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def promotion_stack(events: list[dict[str, Any]]) -> list[str | None]:
    """The chain of currents the history leads to, oldest first (None: no adapter); the last is current."""
    stack: list[str | None] = []
    for event in events:
        if event.get("action") == "promote":
            if not stack:
                stack.append(event.get("previous"))
            if event.get("version") != stack[-1]:
                stack.append(event.get("version"))
        elif event.get("action") == "rollback" and len(stack) > 1:
            stack.pop()
    return stack


def promote(
    root: Path,
    tier: str,
    version: str,
    *,
    forced: bool = False,
    gate: dict[str, Any] | None = None,
) -> Path:
    """Point ``<root>/<tier>/current`` at ``version`` (atomically) and record it in the tier's history.

    ``forced`` marks a promotion made against the gate; ``gate`` is the gate's verdict to keep with it.
    """
    folder = Path(root) / tier
    with _locked(folder):
        previous = current_version(root, tier)
        link = _point(folder, version)
        event: dict[str, Any] = {"action": "promote", "version": version, "previous": previous}
        if forced:
            event["forced"] = True
        if gate is not None:
            event["gate"] = gate
        _append_history(folder, event)
    return link


def rollback(root: Path, tier: str) -> str | None:
    """Make the version that was current before the last promotion current again; returns it (None: the
    tier goes back to the base model). Repeated rollbacks walk further back."""
    folder = Path(root) / tier
    if not folder.is_dir():
        raise RegistryError(f"tier {tier!r} has no adapters under {root}")
    with _locked(folder):
        current = current_version(root, tier)
        stack = promotion_stack(history(root, tier))
        if current is None and len(stack) < 2:
            raise RegistryError(f"tier {tier!r} has no current adapter to roll back")
        if not stack or stack[-1] != current:
            raise RegistryError(
                f"tier {tier!r}: current is {current or 'none'} but {folder / HISTORY_FILE} does not record "
                "how it became current; promote the version you want explicitly"
            )
        if len(stack) < 2:
            raise RegistryError(f"tier {tier!r}: no earlier current recorded before {current}")
        target = stack[-2]
        _point(folder, target)
        _append_history(folder, {"action": "rollback", "version": target, "previous": current})
    return target


def list_adapters(root: Path) -> list[AdapterEntry]:
    """Every version of every tier under ``root``; an unreadable manifest is reported, not raised."""
    root = Path(root)
    entries: list[AdapterEntry] = []
    if not root.is_dir():
        return entries
    for tier_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        current = current_version(root, tier_dir.name)
        for version in versions(root, tier_dir.name):
            entry = AdapterEntry(tier_dir.name, version, tier_dir / version, current=version == current)
            try:
                entry.manifest = read_manifest(entry.path)
            except RegistryError as exc:
                entry.problem = str(exc)
            if entry.problem is None and not (entry.path / ADAPTER_FILE).is_file():
                entry.problem = f"{ADAPTER_FILE} missing"
            entries.append(entry)
    return entries


def code_revision() -> str:
    """entropi's git revision (with ``-dirty`` for local changes), else its package version."""
    src = Path(entropi.__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(src), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(src), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"entropi {entropi.__version__}"
    return f"{rev}-dirty" if dirty else rev
