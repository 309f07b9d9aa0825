"""Layered configuration loading.

Layers, later wins, mappings deep-merged and lists replaced: package `defaults/config.yaml` →
`~/.entropi/config.yaml` → `<project>/.entropi/config.yaml` → `<project>/.entropi/config.local.yaml` →
`ENTROPI_<SECTION>__<KEY>` environment variables → command-line overrides. Relative paths resolve against
the directory of the file that set them (environment, command line and `log.path`: the project root).
An `ENTROPI_*` variable is a config key when it holds `__` or starts with a section name and `_` (so
`ENTROPI_MODEL_N_CTX` is reported as malformed); others, like `ENTROPI_CACHE_DIR`, are ignored. Every
problem becomes one `ConfigError` naming the source, the dotted key and what is wrong: the loader returns a
complete, valid configuration or raises.
Non-goals: writing config files, watching them, checking model or adapter files (the runtime does).
"""

from __future__ import annotations

import copy
import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from entropi.config.schema import TIERS, EntropiConfig, defaults_dir

ENV_PREFIX = "ENTROPI_"
CLI_SOURCE = "command line"
_SECTIONS = ("model", "router", "tiers", "log")  # a variable naming one of these is meant for the config
_ENV_PART = re.compile(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*")
# Path-typed keys that resolve against the setting layer's directory; "*" matches any tier name.
_PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("model", "path"),
    ("model", "chat_template_file"),
    ("router", "lora_path"),
    ("tiers", "*", "system_prompt"),
    ("tiers", "*", "lora_path"),
    ("evaluation", "cases"),  # a list of paths
)
_MISSING = object()
_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


class ConfigError(Exception):
    """The configuration could not be loaded; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        if len(problems) == 1:
            message = f"invalid entropi configuration: {problems[0]}"
        else:
            message = "invalid entropi configuration:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(message)


@dataclass
class _Layer:
    source: str  # file path, "environment variable ENTROPI_X" or "command line"
    data: dict[str, Any]
    base_dir: Path  # where relative paths set by this layer resolve


def find_project_root(start: Path, *, home: Path | None = None) -> Path:
    """Nearest ancestor of `start` (itself included) holding `.entropi/` or `.git`, else `start`.

    The `.entropi/` in the home directory holds the user-level config, so it does not mark a project.
    """
    start = start.expanduser().resolve()
    home_dir = (home if home is not None else Path.home()).expanduser().resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists() or (folder != home_dir and (folder / ".entropi").is_dir()):
            return folder
    return start


def load_config(
    project_root: Path,
    *,
    cli_overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> EntropiConfig:
    """Load, merge and validate every layer for `project_root`; raise ConfigError on any problem."""
    root = project_root.expanduser().resolve()
    home_dir = (home if home is not None else Path.home()).expanduser()
    problems: list[str] = []
    files = [
        (defaults_dir() / "config.yaml", True),
        (home_dir / ".entropi" / "config.yaml", False),
        (root / ".entropi" / "config.yaml", False),
        (root / ".entropi" / "config.local.yaml", False),
    ]
    layers = [layer for path, required in files if (layer := _read_file(path, required, problems))]
    layers += _env_layers(os.environ if env is None else env, root, problems)
    if cli_overrides is not None:
        if isinstance(cli_overrides, Mapping):
            layers.append(_Layer(CLI_SOURCE, _plain(cli_overrides), root))
        else:
            problems.append(f"{CLI_SOURCE}: overrides must be a mapping, got {_kind(cli_overrides)}")
    if problems:
        raise ConfigError(problems)

    merged: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    for layer in layers:
        _resolve_paths(layer, problems)
        _merge(merged, layer.data, "", layer.source, provenance, problems)
    _resolve_log_path(merged, root, provenance, problems)
    if problems:
        raise ConfigError(problems)
    try:
        return EntropiConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(exc, provenance)) from None


def _read_file(path: Path, required: bool, problems: list[str]) -> _Layer | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            problems.append(f"{path}: package default configuration is missing (broken install?)")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read the file: {exc}")
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.append(f"{path}: YAML syntax error{where}: {getattr(exc, 'problem', None) or exc}")
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(
            f"{path}: the top level must be a mapping of sections "
            f"(model, router, tiers, log), got {_kind(data)}"
        )
        return None
    return _Layer(str(path), _plain(data), path.parent)


def _env_layers(env: Mapping[str, str], root: Path, problems: list[str]) -> list[_Layer]:
    layers = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX):
            continue
        source = f"environment variable {name}"
        rest = name[len(ENV_PREFIX) :]
        if "__" not in rest and not any(f"{rest.lower()}_".startswith(f"{s}_") for s in _SECTIONS):
            continue  # another setting of entropi's (e.g. ENTROPI_CACHE_DIR), not a config key
        parts = rest.split("__")
        if len(parts) < 2 or not all(_ENV_PART.fullmatch(part) for part in parts):
            problems.append(
                f"{source}: malformed name; use ENTROPI_<SECTION>__<KEY> with double underscores "
                f"between levels, e.g. ENTROPI_MODEL__N_CTX=4096 or ENTROPI_TIERS__CODE__LORA_SCALE=0.5"
            )
            continue
        dotted = ".".join(parts).lower()
        try:
            value = yaml.safe_load(env[name])
        except yaml.YAMLError as exc:
            problems.append(f"{source}: {dotted}: value is not valid YAML: {getattr(exc, 'problem', exc)}")
            continue
        for key in reversed(dotted.split(".")):
            value = {key: value}
        layers.append(_Layer(source, value, root))
    return layers


def _plain(value: Any) -> Any:
    """Deep copy with mappings turned into dicts with string keys."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return copy.deepcopy(value)


def _resolve_paths(layer: _Layer, problems: list[str]) -> None:
    def visit(node: Any, pattern: tuple[str, ...], prefix: str) -> None:
        if not isinstance(node, dict):
            return
        names = list(node) if pattern[0] == "*" else [pattern[0]] if pattern[0] in node else []
        for key in names:
            dotted = f"{prefix}{key}"
            if len(pattern) > 1:
                visit(node[key], pattern[1:], dotted + ".")
                continue
            if isinstance(node[key], list):
                node[key] = [resolve(item, f"{dotted}[{i}]") for i, item in enumerate(node[key])]
            else:
                node[key] = resolve(node[key], dotted)

    def resolve(value: Any, dotted: str) -> Any:
        if isinstance(value, str | os.PathLike):
            if not os.fspath(value).strip():
                problems.append(f"{layer.source}: {dotted}: empty path; use null for none")
                return value
            path = Path(value).expanduser()
            return path if path.is_absolute() else layer.base_dir / path
        return value

    for pattern in _PATH_KEYS:
        visit(layer.data, pattern, "")


def _resolve_log_path(
    merged: dict[str, Any], root: Path, provenance: dict[str, str], problems: list[str]
) -> None:
    log = merged.get("log")
    if isinstance(log, dict) and isinstance(log.get("path"), str | os.PathLike):
        if os.fspath(log["path"]).strip():
            log["path"] = root / Path(log["path"]).expanduser()
        else:
            problems.append(f"{_source_of('log.path', provenance)}: log.path: empty path")


def _merge(
    base: dict[str, Any],
    overlay: dict[str, Any],
    prefix: str,
    source: str,
    provenance: dict[str, str],
    problems: list[str],
) -> None:
    """Deep-merge `overlay` into `base`, recording in `provenance` which source last set each dotted key."""
    for key, value in overlay.items():
        dotted = f"{prefix}{key}"
        old = base.get(key, _MISSING)
        if isinstance(value, dict):
            if not isinstance(old, dict):
                if old is not _MISSING and old is not None:
                    problems.append(
                        f"{source}: {dotted}: sets keys inside a value that "
                        f"{_source_of(dotted, provenance)} set to {_short(old)}; a section must be a mapping"
                    )
                _forget(provenance, dotted)
                provenance[dotted] = source
                base[key] = old = {}
            _merge(old, value, dotted + ".", source, provenance, problems)
        elif value is None and isinstance(old, dict):
            continue  # an empty section (`model:` with every key commented out) changes nothing
        else:
            _forget(provenance, dotted)
            provenance[dotted] = source
            base[key] = value


def _forget(provenance: dict[str, str], dotted: str) -> None:
    for key in [k for k in provenance if k == dotted or k.startswith(dotted + ".")]:
        del provenance[key]


def _source_of(dotted: str, provenance: dict[str, str]) -> str:
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        source = provenance.get(".".join(parts[:n]))
        if source is not None:
            return source
    return "merged configuration"


def _describe_errors(exc: ValidationError, provenance: dict[str, str]) -> list[str]:
    problems: list[str] = []
    bad_tiers: set[str] = set()
    for error in exc.errors():
        loc = error["loc"]
        is_key = "[key]" in loc  # pydantic marks a bad dict key (an unknown tier name) this way
        parts = [str(p) for p in loc if p != "[key]"]
        dotted = ".".join(parts)
        if not is_key and any(dotted == t or dotted.startswith(t + ".") for t in bad_tiers):
            continue  # the tier name itself is already reported
        source = _source_of(dotted, provenance)
        kind = error["type"]
        if is_key and parts[:1] == ["tiers"]:
            bad_tiers.add(dotted)
            what = _unknown("tier", parts[-1], list(TIERS))
        elif kind == "extra_forbidden":
            what = _unknown("key", parts[-1], _fields_at(parts[:-1]))
        elif kind == "missing":
            what = "required key is missing"
        elif kind == "value_error":
            what = error["msg"].removeprefix("Value error, ")
        elif kind == "path_type":
            what = f"Input should be a path (got {_short(error['input'])})"
        else:
            what = f"{error['msg']} (got {_short(error['input'])})"
        problems.append(f"{source}: {dotted}: {what}")
    return problems


def _unknown(noun: str, name: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    if close:
        return f"unknown {noun} {name!r}; did you mean {close[0]!r}?"
    return f"unknown {noun} {name!r}; allowed: {', '.join(allowed)}"


def _fields_at(parts: list[str]) -> list[str]:
    """Field names of the model found at dotted `parts` of EntropiConfig (dict values step over their key)."""
    node: Any = EntropiConfig
    remaining = list(parts)
    while remaining:
        field = node.model_fields.get(remaining.pop(0)) if _is_model(node) else None
        if field is None:
            return []
        node = field.annotation
        if get_origin(node) is dict:
            if not remaining:
                return []
            remaining.pop(0)
            node = get_args(node)[1]
    return list(node.model_fields) if _is_model(node) else []


def _is_model(node: Any) -> bool:
    return isinstance(node, type) and issubclass(node, BaseModel)


def _kind(value: Any) -> str:
    return _KINDS.get(type(value), type(value).__name__)


def _short(value: Any, limit: int = 60) -> str:
    text = str(value) if isinstance(value, Path) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
