"""sha256 of (large) model files, cached by path, size and mtime.

Scope: the content hash that identifies a base model or adapter in logs and manifests. A model file is
hashed once; later calls return the cached value while the file's size and mtime_ns are unchanged.
The cache is `<cache dir>/hashes.json` (cache dir: argument, else `$ENTROPI_CACHE_DIR`, else
`~/.cache/entropi`). Non-goals: detecting an edit that keeps both size and mtime; locking between
processes (the cache is rewritten atomically, so concurrent writers can only lose an entry, which is
then recomputed).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

CHUNK_BYTES = 1 << 20
CACHE_FILE = "hashes.json"
_CACHE_VERSION = 1

log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    env = os.environ.get("ENTROPI_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "entropi"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _load_entries(cache_file: Path) -> dict[str, Any]:
    """The cached entries; an unreadable or malformed cache counts as empty."""
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable hash cache %s: %s", cache_file, exc)
        return {}
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
        log.warning("ignoring hash cache %s with an unexpected layout", cache_file)
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _write_entries(cache_file: Path, entries: dict[str, Any]) -> None:
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_file.parent, prefix=".hashes-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"version": _CACHE_VERSION, "files": entries}, f, indent=1, sort_keys=True)
        os.replace(tmp, cache_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def file_sha256(path: Path, *, cache_dir: Path | None = None) -> str:
    """Hex sha256 of the file at `path`, from the cache when size and mtime_ns still match."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"cannot hash {path}: no such file")
    if not path.is_file():
        raise IsADirectoryError(f"cannot hash {path}: not a regular file")
    resolved = path.resolve()
    stat = resolved.stat()
    cache_file = (cache_dir if cache_dir is not None else default_cache_dir()) / CACHE_FILE
    key = str(resolved)

    entries = _load_entries(cache_file)
    entry = entries.get(key)
    if (
        isinstance(entry, dict)
        and entry.get("size") == stat.st_size
        and entry.get("mtime_ns") == stat.st_mtime_ns
        and isinstance(entry.get("sha256"), str)
    ):
        return entry["sha256"]

    sha = _sha256_of(resolved)
    entries = {k: v for k, v in entries.items() if Path(k).exists()}  # forget deleted files
    entries[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha}
    try:
        _write_entries(cache_file, entries)
    except OSError as exc:
        # The hash is still right; only the next call pays for it again.
        log.warning("could not update hash cache %s: %s", cache_file, exc)
    return sha
