"""Exact and near-duplicate removal for rows, streaming: the first row of a group is kept.

Exact: a 16-byte blake2b digest of the row's training content (its JSON). Near: MinHash over word 3-shingles
(crc32 per word, mixed in order) of the row's *target* text (the query and everything after it), where words
are the runs of letters and underscores of the lower-cased text (digits drop out, so counters and ids that
differ only in digits fold); 64 multiply-shift hash functions, LSH with 16 bands of 4 rows; a candidate is a
duplicate when the signatures agree on at least `threshold` (default 0.9) of the functions, an estimate of
the shingle-set Jaccard similarity. Memory: one digest per row plus one signature (256 bytes) and 16 band keys
per kept row. Texts shorter than a shingle compare as one shingle (only exactly equal ones collide); texts
over `MAX_CHARS` characters are signed by their first and last `MAX_CHARS / 2`.
Non-goals: semantic (paraphrase) duplicates, dedup across separate runs of the extractor.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from typing import Literal

import numpy as np

_WORD = re.compile(r"[^\W\d]+")  # letters and underscores: digits drop out, so numbers and counters fold
_MIX = np.uint64(0x9E3779B97F4A7C15)
MAX_CHARS = 12_000


class Deduper:
    """`check(exact, near)` → "exact", "near" or None (new; it is remembered)."""

    def __init__(
        self, *, threshold: float = 0.9, num_perm: int = 64, bands: int = 16, shingle: int = 3, seed: int = 1
    ) -> None:
        if num_perm % bands:
            raise ValueError(f"num_perm ({num_perm}) must be a multiple of bands ({bands})")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be within (0, 1], got {threshold}")
        rng = np.random.default_rng(seed)
        self._a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)  # odd multipliers
        self._b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
        self.threshold, self.bands, self.shingle = threshold, bands, shingle
        self._rows = num_perm // bands
        self._exact: set[bytes] = set()
        self._buckets: dict[tuple[int, bytes], list[int]] = {}
        self._signatures = np.empty((64, num_perm), dtype=np.uint32)  # row i: kept row i's signature
        self._kept = 0
        self._word_hash: dict[str, int] = {}

    def signature(self, text: str) -> np.ndarray:
        """The MinHash signature (uint32 per hash function) of the text's word shingles."""
        if len(text) > MAX_CHARS:  # long rows: their head and tail decide
            text = text[: MAX_CHARS // 2] + "\n" + text[-MAX_CHARS // 2 :]
        words = _WORD.findall(text.lower()) or [""]
        known = self._word_hash
        if len(known) > 500_000:
            known.clear()
        for w in set(words).difference(known):
            known[w] = zlib.crc32(w.encode())
        hashes = np.array(list(map(known.__getitem__, words)), dtype=np.uint64)
        n = min(self.shingle, len(hashes))
        with np.errstate(over="ignore"):
            grams = hashes[: len(hashes) - n + 1].copy()
            for k in range(1, n):  # a shingle's hash mixes its words' hashes in order
                grams = grams * _MIX + hashes[k : len(hashes) - n + 1 + k]
            grams = np.unique(grams)
            mixed = (grams[:, None] * self._a[None, :] + self._b[None, :]) >> np.uint64(32)
        return mixed.min(axis=0).astype(np.uint32)

    def check(self, exact: str, near: str) -> Literal["exact", "near"] | None:
        digest = hashlib.blake2b(exact.encode("utf-8", "replace"), digest_size=16).digest()
        if digest in self._exact:
            return "exact"
        self._exact.add(digest)
        sig = self.signature(near)
        keys = [(b, sig[b * self._rows : (b + 1) * self._rows].tobytes()) for b in range(self.bands)]
        candidates: set[int] = set()
        for key in keys:
            candidates.update(self._buckets.get(key, ()))
        if candidates:  # any candidate agreeing on enough functions makes it a near duplicate
            agree = (self._signatures[list(candidates)] == sig).mean(axis=1)
            if bool((agree >= self.threshold).any()):
                return "near"
        index = self._kept
        if index == len(self._signatures):
            self._signatures = np.concatenate([self._signatures, np.empty_like(self._signatures)])
        self._signatures[index] = sig
        self._kept += 1
        for key in keys:
            self._buckets.setdefault(key, []).append(index)
        return None
