"""Resampled chosen turns: the chosen is a good turn for the identical prompt, found anywhere in the logs.

A good turn may come before or after the rejected one, so both are spilled to disk during the pass (one JSON
line each, already redacted) and matched afterwards. Memory holds one index entry per distinct good prompt,
not the turns. Without a resample the pair falls back to the draft's gold step, else it is skipped.
Non-goals: finding rejected turns (`pairs.py`), scoring which resample is best (the first one wins).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from entropi.data.pairs import PairDraft, normalized

_json_text = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), built once


class ResamplePool:
    """Spills good turns and pending drafts under `workdir`; `resolve` yields finished pair rows."""

    def __init__(self, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self._good_path = workdir / "good.jsonl"
        self._pending_path = workdir / "pending.jsonl"
        self._good = self._good_path.open("w+", encoding="utf-8")
        self._pending = self._pending_path.open("w+", encoding="utf-8")
        self._index: dict[str, int] = {}

    def add_good(self, key: str, message: dict[str, Any], record_id: str) -> None:
        """Offer a good turn (redacted) as the chosen for its prompt; the first per prompt is kept."""
        if key in self._index:
            return
        self._good.seek(0, 2)
        self._index[key] = self._good.tell()
        self._good.write(_json_text({"message": message, "record_id": record_id}) + "\n")

    def defer(self, draft: PairDraft, row_text: str | None = None) -> None:
        """Keep a draft (redacted) until every good turn has been seen; `row_text`: the row's JSON, when
        the caller has it already."""
        if row_text is None:
            row_text = _json_text(draft.row)
        key, gold = _json_text(draft.prompt_key), _json_text(draft.gold)
        self._pending.write(f'{{"row": {row_text}, "key": {key}, "gold": {gold}}}\n')

    def resolve(self) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
        """(pair row, None) for each pending draft that found a chosen, else (None, why it was skipped)."""
        self._pending.flush()
        self._pending.seek(0)
        for line in self._pending:
            item = json.loads(line)
            row, rejected = item["row"], item["row"]["rejected"][0]
            offset = self._index.get(item["key"])
            if offset is not None:
                self._good.seek(offset)
                good = json.loads(self._good.readline())
                if normalized(good["message"]) != normalized(rejected):
                    yield (
                        {
                            **row,
                            "chosen": [good["message"]],
                            "chosen_source": "resample",
                            "chosen_record_id": good["record_id"],
                        },
                        None,
                    )
                    continue
            gold = item["gold"]
            if gold is not None and normalized(gold) != normalized(rejected):
                yield {**row, "chosen": [gold], "chosen_source": "gold"}, None
            elif gold is not None:
                yield None, "chosen_equals_rejected"
            else:
                yield None, "no_chosen"

    def close(self) -> None:
        """Close and delete the spill files."""
        for handle, path in ((self._good, self._good_path), (self._pending, self._pending_path)):
            handle.close()
            path.unlink(missing_ok=True)
