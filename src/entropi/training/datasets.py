"""Read a tier's extracted datasets: ``<data>/<tier>/{sft,dpo}_{train,eval}.jsonl`` (ARCHITECTURE.md rows).

Checks what training relies on and names the file and line of any bad row; the dataset hash and row
counts go into the adapter manifest. Non-goals: producing the files (``scripts/extract_training_data.py``),
rendering rows (``render.py``), the ``datasets`` save_to_disk copies (JSONL is the source of truth).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPLITS = ("train", "eval")
REQUIRED = {"sft": ("messages",), "dpo": ("prompt", "chosen", "rejected")}


class DatasetError(ValueError):
    """A dataset file that is missing, empty or holds a malformed row (file and line in the message)."""


@dataclass
class TierData:
    """The rows of one tier, per stage and split, and where they came from."""

    tier: str
    folder: Path
    rows: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def split(self, stage: str, split: str) -> list[dict[str, Any]]:
        return self.rows.get(stage, {}).get(split, [])

    @property
    def counts(self) -> dict[str, int]:
        return {f"{s}_{p}": len(self.split(s, p)) for s in self.rows for p in SPLITS}

    def empty_stages(self) -> list[str]:
        """Stages without a single training row."""
        return [stage for stage in self.rows if not self.split(stage, "train")]

    def sha256(self) -> str:
        """One hash over the files read (name and bytes), in a fixed order."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name].read_bytes() + b"\0")
        return digest.hexdigest()


def _check_row(row: Any, stage: str, where: str) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: a row must be a JSON object, got {type(row).__name__}")
    for key in REQUIRED[stage]:
        if key not in row:
            raise DatasetError(
                f"{where}: missing {key!r} (a {stage.upper()} row needs {', '.join(REQUIRED[stage])})"
            )
    tools = row.get("tools")
    if isinstance(tools, str):  # some writers store tools as one JSON string
        try:
            row = {**row, "tools": json.loads(tools)}
        except ValueError as exc:
            raise DatasetError(f"{where}: 'tools' is a string that is not JSON ({exc})") from exc
    if row.get("tools") is not None and not isinstance(row["tools"], list):
        raise DatasetError(f"{where}: 'tools' must be a list of tool schemas")
    return row


def read_jsonl(path: Path, stage: str) -> list[dict[str, Any]]:
    """All rows of one file; the first malformed line raises with ``file:line``."""
    rows = []
    try:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise DatasetError(f"{where}: not JSON ({exc})") from exc
                rows.append(_check_row(row, stage, where))
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from exc
    return rows


def load_tier_data(data_dir: Path, tier: str, stages: list[str]) -> TierData:
    """The train (file required, maybe empty) and eval (optional) rows of ``stages`` for ``tier``."""
    folder = Path(data_dir) / tier
    if not folder.is_dir():
        raise DatasetError(
            f"no datasets for tier {tier!r}: {folder} does not exist "
            "(run scripts/extract_training_data.py, or pass --data DIR)"
        )
    data = TierData(tier=tier, folder=folder)
    for stage in stages:
        data.rows[stage] = {}
        for split in SPLITS:
            path = folder / f"{stage}_{split}.jsonl"
            if not path.is_file():
                if split == "train":
                    raise DatasetError(f"{path} not found: stage {stage!r} needs its training rows")
                data.rows[stage][split] = []
                continue
            data.rows[stage][split] = read_jsonl(path, stage)
            data.files[path.name] = path
    return data
