"""file_sha256: the value, the (path, size, mtime_ns) cache, and bad input."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from entropi.inference.filehash import CACHE_FILE, CHUNK_BYTES, file_sha256


def _cache(cache_dir: Path) -> dict:
    return json.loads((cache_dir / CACHE_FILE).read_text())


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(os.urandom(2 * CHUNK_BYTES + 12345))  # spans several chunks
    return path


def test_matches_hashlib(tmp_path: Path, model_file: Path) -> None:
    expected = hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert file_sha256(model_file, cache_dir=tmp_path / "cache") == expected


def test_cache_records_size_and_mtime(tmp_path: Path, model_file: Path) -> None:
    cache_dir = tmp_path / "cache"
    sha = file_sha256(model_file, cache_dir=cache_dir)
    stat = model_file.stat()
    entry = _cache(cache_dir)["files"][str(model_file.resolve())]
    assert entry == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha}
    assert [p.name for p in cache_dir.iterdir()] == [CACHE_FILE]  # no temp files left


def test_cache_hit_returns_cached_value(tmp_path: Path, model_file: Path) -> None:
    cache_dir = tmp_path / "cache"
    file_sha256(model_file, cache_dir=cache_dir)
    data = _cache(cache_dir)
    data["files"][str(model_file.resolve())]["sha256"] = "cached-value"
    (cache_dir / CACHE_FILE).write_text(json.dumps(data))
    assert file_sha256(model_file, cache_dir=cache_dir) == "cached-value"


def test_relative_and_absolute_paths_share_an_entry(tmp_path: Path, model_file: Path, monkeypatch) -> None:
    cache_dir = tmp_path / "cache"
    monkeypatch.chdir(model_file.parent)
    assert file_sha256(Path(model_file.name), cache_dir=cache_dir) == file_sha256(
        model_file, cache_dir=cache_dir
    )
    assert list(_cache(cache_dir)["files"]) == [str(model_file.resolve())]


def test_changed_file_is_rehashed(tmp_path: Path, model_file: Path) -> None:
    cache_dir = tmp_path / "cache"
    before = file_sha256(model_file, cache_dir=cache_dir)
    model_file.write_bytes(b"different and shorter")
    after = file_sha256(model_file, cache_dir=cache_dir)
    assert after != before
    assert after == hashlib.sha256(b"different and shorter").hexdigest()


def test_same_size_new_mtime_is_rehashed(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    path = tmp_path / "f.bin"
    path.write_bytes(b"aaaa")
    file_sha256(path, cache_dir=cache_dir)
    mtime_ns = path.stat().st_mtime_ns
    path.write_bytes(b"bbbb")
    os.utime(path, ns=(mtime_ns + 1_000_000_000, mtime_ns + 1_000_000_000))
    assert file_sha256(path, cache_dir=cache_dir) == hashlib.sha256(b"bbbb").hexdigest()


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2, 3]", b'{"version": 1, "files": []}', b"\xff\xfe"])
def test_corrupt_cache_is_ignored_and_rewritten(tmp_path: Path, model_file: Path, content: bytes) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE).write_bytes(content)
    expected = hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert file_sha256(model_file, cache_dir=cache_dir) == expected
    assert _cache(cache_dir)["files"][str(model_file.resolve())]["sha256"] == expected


def test_deleted_files_are_forgotten(tmp_path: Path, model_file: Path) -> None:
    cache_dir = tmp_path / "cache"
    gone = tmp_path / "gone.bin"
    gone.write_bytes(b"x")
    file_sha256(gone, cache_dir=cache_dir)
    gone.unlink()
    file_sha256(model_file, cache_dir=cache_dir)
    assert list(_cache(cache_dir)["files"]) == [str(model_file.resolve())]


def test_env_cache_dir(tmp_path: Path, model_file: Path, monkeypatch) -> None:
    monkeypatch.setenv("ENTROPI_CACHE_DIR", str(tmp_path / "envcache"))
    file_sha256(model_file)
    assert str(model_file.resolve()) in _cache(tmp_path / "envcache")["files"]


def test_unwritable_cache_still_hashes(tmp_path: Path, model_file: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache dir should be")
    expected = hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert file_sha256(model_file, cache_dir=blocker) == expected


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        file_sha256(tmp_path / "absent.gguf", cache_dir=tmp_path / "cache")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="not a regular file"):
        file_sha256(tmp_path, cache_dir=tmp_path / "cache")
