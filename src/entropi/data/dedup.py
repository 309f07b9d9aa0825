"""Exact and near-duplicate removal for rows, streaming: the first row of a group is kept.

Exact: an 8-byte digest (sha256) of the row's training content (its JSON). Near: MinHash over word 3-shingles
(crc32 per word, mixed in order) of the row's *target* text (the query and everything after it), where words
are the runs of letters and underscores of the lower-cased text (digits drop out, so counters and ids that
differ only in digits fold); 64 multiply-shift hash functions, LSH with 16 bands of 4 rows; a candidate is a
duplicate when the signatures agree on at least `threshold` (default 0.9) of the functions, an estimate of
the shingle-set Jaccard similarity. Memory: one digest per row, and per kept row its signature (256 bytes)
and 16 band keys (~1.5 kB in all). Texts shorter than a shingle compare as one shingle (only exactly equal
ones collide); texts over `MAX_CHARS` characters are signed by their first and last `MAX_CHARS / 2`.
Non-goals: semantic (paraphrase) duplicates, dedup across separate runs of the extractor.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from itertools import chain
from typing import Any, Literal

import numpy as np

_WORD = re.compile(r"[^\W\d]+")  # letters and underscores: digits drop out, so numbers and counters fold
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_ASCII_WORDS = bytes(c if c in _WORD_BYTES else 32 for c in range(256))  # translate table: others to spaces
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
        # Each function that differs spoils at most one band: a row must share this many bands with a kept
        # row to agree with it on the fewest functions the threshold allows (the mean as numpy takes it).
        least = next(c for c in range(num_perm + 1) if c / num_perm >= threshold)
        self._min_shared = bands - (num_perm - least)
        self._exact: set[int] = set()
        self._buckets: list[dict[bytes, int | list[int]]] = [{} for _ in range(bands)]  # per band: key → rows
        self._signatures = np.empty((64, num_perm), dtype=np.uint32)  # row i: kept row i's signature
        self._kept = 0

    def signature(self, text: str) -> np.ndarray:
        """The MinHash signature (uint32 per hash function) of the text's word shingles."""
        if len(text) > MAX_CHARS:  # long rows: their head and tail decide
            text = text[: MAX_CHARS // 2] + "\n" + text[-MAX_CHARS // 2 :]
        lowered = text.lower()
        if lowered.isascii():  # the same words as _WORD finds, as bytes, without the regex (5x faster)
            words: list[Any] = lowered.encode("ascii").translate(_ASCII_WORDS).split() or [b""]
        else:
            words = [w.encode() for w in _WORD.findall(lowered)] or [b""]
        # crc32 of each word as it comes: cheaper than looking words up in a cache of their hashes
        hashes = np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))
        n = min(self.shingle, len(hashes))
        count = len(hashes) - n + 1
        with np.errstate(over="ignore"):
            grams = hashes[:count].copy()
            for k in range(1, n):  # a shingle's hash mixes its words' hashes in order
                grams *= _MIX
                grams += hashes[k : count + k]
            grams.sort()  # distinct shingles only (the minimum is the same; this is less work)
            if count > 1:
                grams = grams[np.concatenate(([True], grams[1:] != grams[:-1]))]
            mixed = np.multiply.outer(grams, self._a)
            mixed += self._b
            # The top 32 bits of the smallest value are the smallest top 32 bits: shift the minima only.
            return (mixed.min(axis=0) >> np.uint64(32)).astype(np.uint32)

    def check(self, exact: str, near: str) -> Literal["exact", "near"] | None:
        digest = int.from_bytes(hashlib.sha256(exact.encode("utf-8", "replace")).digest()[:8], "big")
        if digest in self._exact:
            return "exact"
        self._exact.add(digest)
        sig = self.signature(near)
        raw, width = sig.tobytes(), 4 * self._rows
        keys = [raw[b * width : (b + 1) * width] for b in range(self.bands)]
        found = [bucket.get(key) for bucket, key in zip(self._buckets, keys, strict=True)]
        hits = [h for h in found if h is not None]
        if hits:  # any candidate agreeing on enough functions makes it a near duplicate
            shared = Counter(chain.from_iterable(h if type(h) is list else (h,) for h in hits))
            least = self._min_shared  # a row sharing fewer bands cannot agree on enough functions
            rows = [row for row, n in shared.items() if n >= least]
            if rows:
                agree = (self._signatures[rows] == sig).mean(axis=1)
                if bool((agree >= self.threshold).any()):
                    return "near"
        index = self._kept
        if index == len(self._signatures):
            self._signatures = np.concatenate([self._signatures, np.empty_like(self._signatures)])
        self._signatures[index] = sig
        self._kept += 1
        for bucket, key, hit in zip(self._buckets, keys, found, strict=True):
            if hit is None:
                bucket[key] = index  # most buckets hold one row: an int, not a list
            elif type(hit) is list:
                hit.append(index)
            else:
                bucket[key] = [hit, index]
        return None
