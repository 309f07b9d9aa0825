"""Writing the output directory: per-tier JSON Lines, the HF `datasets` copy, the dataset card, the report.

Layout: `DIR/<tier>/{sft_train,sft_eval,dpo_train,dpo_eval}.jsonl` (every file exists, maybe empty),
`DIR/<tier>/hf/{sft,dpo}/` (`DatasetDict.save_to_disk`, splits `train` and `eval`, explicit features so empty
splits and missing message keys load the same), `DIR/README.md` (dataset card), `DIR/report.json` and
`DIR/summary.txt`. Refuses a non-empty DIR that is not an earlier extraction (no report.json); an earlier
extraction's outputs are removed first, so no stale tier is left behind.
Non-goals: building or filtering rows; pushing to a hub.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

KINDS = ("sft", "dpo")
SPLITS = ("train", "eval")


class OutputDirError(ValueError):
    """The output directory cannot be used."""


def prepare_out_dir(out: Path, all_tiers: Sequence[str]) -> None:
    """Create `out`, or clear an earlier extraction's outputs from it; raises OutputDirError otherwise."""
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not (out / "report.json").is_file():
            raise OutputDirError(f"{out} is not empty and holds no earlier extraction (no report.json)")
        for tier in all_tiers:
            shutil.rmtree(out / tier, ignore_errors=True)
        for name in ("report.json", "summary.txt", "README.md"):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


class SplitWriter:
    """Open JSON Lines files for every (tier, kind, split); `write` appends one row."""

    def __init__(self, out: Path, tiers: Sequence[str]) -> None:
        self.out = out
        self.counts: dict[tuple[str, str, str], int] = {}
        self._files: dict[tuple[str, str, str], IO[str]] = {}
        for tier in tiers:
            (out / tier).mkdir(parents=True, exist_ok=True)
            for kind in KINDS:
                for split in SPLITS:
                    key = (tier, kind, split)
                    self._files[key] = (out / tier / f"{kind}_{split}.jsonl").open("w", encoding="utf-8")
                    self.counts[key] = 0

    def write(self, tier: str, kind: str, split: str, row: dict[str, Any]) -> None:
        self.write_line(tier, kind, split, json.dumps(row, ensure_ascii=False))

    def write_line(self, tier: str, kind: str, split: str, line: str) -> None:
        """Write one row already serialized as `json.dumps(row, ensure_ascii=False)` (one line)."""
        self._files[(tier, kind, split)].write(line + "\n")
        self.counts[(tier, kind, split)] += 1

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


def features(kind: str) -> Any:
    """The `datasets.Features` of an SFT or DPO row."""
    from datasets import Features, List, Value

    string = Value("string")
    message = {
        "role": string,
        "content": string,
        "reasoning_content": string,
        "tool_calls": List({"id": string, "type": string, "function": {"name": string, "arguments": string}}),
        "tool_call_id": string,
        "name": string,
    }
    meta = {
        "tools": string,
        "tier": string,
        "session_id": string,
        "turn_index": Value("int64"),
        "source": string,
        "task_id": string,
    }
    if kind == "sft":
        quality = {
            k: Value("bool") for k in ("valid", "coherent", "executed_ok", "approved", "checker_passed")
        }
        quality |= {"unclear_turns": Value("int64"), "outcome": string}
        return Features(
            {
                "messages": List(message),
                **meta,
                "record_ids": List(string),
                "truncated": Value("bool"),
                "quality": quality,
            }
        )
    return Features(
        {
            "prompt": List(message),
            "chosen": List(message),
            "rejected": List(message),
            **meta,
            "pair_type": string,
            "chosen_source": string,
            "record_id": string,
            "chosen_record_id": string,
        }
    )


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def save_hf(out: Path, tier: str, counts: dict[tuple[str, str, str], int], cache_dir: Path) -> None:
    """`DIR/<tier>/hf/<kind>` as a DatasetDict with train and eval splits."""
    from datasets import Dataset, DatasetDict, disable_progress_bars

    disable_progress_bars()
    for kind in KINDS:
        feats, splits = features(kind), {}
        for split in SPLITS:
            path = out / tier / f"{kind}_{split}.jsonl"
            if counts[(tier, kind, split)] == 0:
                splits[split] = Dataset.from_dict({name: [] for name in feats}, features=feats)
            else:
                splits[split] = Dataset.from_json(str(path), features=feats, cache_dir=str(cache_dir))
        # One shard per split: `datasets` writes an empty split as zero shards, which it cannot load back.
        DatasetDict(splits).save_to_disk(str(out / tier / "hf" / kind), num_shards=dict.fromkeys(SPLITS, 1))


def card(report: dict[str, Any], tiers: Sequence[str], counts: dict[tuple[str, str, str], int]) -> str:
    """The dataset card (README.md)."""
    rows = "\n".join(
        f"| {t} | {counts[(t, 'sft', 'train')]} | {counts[(t, 'sft', 'eval')]} | "
        f"{counts[(t, 'dpo', 'train')]} | {counts[(t, 'dpo', 'eval')]} |"
        for t in tiers
    )
    opts = report["options"]
    return f"""# entropi training data

Per-tier SFT and DPO sets extracted from entropi model logs by `scripts/extract_training_data.py`
(format, labels and hygiene: `docs/data.md` in the entropi repository).

| tier | sft train | sft eval | dpo train | dpo eval |
|---|---|---|---|---|
{rows}

- **SFT rows** (`<tier>/sft_*.jsonl`): TRL conversational — `messages` (assistant turns carry
  `reasoning_content` and `tool_calls` with JSON-string arguments), `tools` (JSON text of OpenAI-shape
  schemas), metadata `tier`, `session_id`, `turn_index`, `source`, `task_id`, `record_ids`, `truncated`,
  `quality`.
- **DPO rows** (`<tier>/dpo_*.jsonl`): explicit-prompt preference — `prompt`, `chosen`, `rejected`, `tools`,
  `pair_type`, `chosen_source`, metadata as above.
- **Split**: by session, seed {opts.get("seed")}, eval fraction {opts.get("eval_fraction")}.
- **Hygiene**: secrets and emails redacted (`[REDACTED:<kind>]`), exact and near duplicates removed.
- **Load**: `datasets.load_from_disk("<tier>/hf/sft")` or `load_dataset("json", data_files=...)`.

Counts, skipped rows and reasons, coherence label shares and task coverage: `report.json`, `summary.txt`.
"""


def write_reports(out: Path, report: dict[str, Any], summary_text: str, card_text: str) -> None:
    (out / "report.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "summary.txt").write_text(summary_text, encoding="utf-8")
    (out / "README.md").write_text(card_text, encoding="utf-8")
