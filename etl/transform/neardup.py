"""Near-duplicate detection maths: word shingles of the normalized text, MinHash signatures, LSH bands.

Pure functions (no database): `etl.store.neardup_link` persists signatures and bands in PostgreSQL and links
articles. The MinHash is our own numpy code (datasketch 2.0's `affine32` scheme, value for value: no scipy
import). Shingle size, permutations, bands and the similarity threshold were chosen by measurement on the
Kazakh evaluation set (docs/dedup.md, tests/dedup_eval/). Reads no settings.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

SHINGLE_WORDS = 2  # word bigrams: Kazakh words carry many suffixes, so longer n-grams break on light edits
NUM_PERM = 128
BANDS = 64
ROWS = NUM_PERM // BANDS  # 2 rows per band
# A candidate must share at least this many bands: a pair at Jaccard 0.33 does with probability 0.976, at 0.4
# with 0.999, while unrelated articles (Jaccard ~0.01-0.05) almost never do, so candidates stay few as the
# archive grows (measured in docs/dedup.md).
MIN_SHARED_BANDS = 3
SEED = 20260101
BATCH = 10_000  # shingles hashed at once by `signature`
THRESHOLD = 0.25  # exact Jaccard of the shingle sets at or above which two articles are near-duplicates
PARAMS = f"w{SHINGLE_WORDS}-p{NUM_PERM}-b{BANDS}-s{SEED}"  # stored with every signature

_TOKEN = re.compile(r"\w+")


def _permutations(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine permutations h -> a * h + b (mod 2**32, `a` odd) drawn from `seed`, as datasketch 2.0 draws
    them for its `affine32` scheme, so signatures stored before it was dropped stay valid."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, count, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, count, dtype=np.uint32)
    return a, b


_A, _B = _permutations(SEED, NUM_PERM)
_EMPTY = np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32)  # the signature of an empty set


def tokens(normalized: str) -> list[str]:
    """The word tokens (letters and digits) of a normalized text."""
    return _TOKEN.findall(normalized)


def shingles(normalized: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Word n-grams of the normalized text; a text shorter than `size` words is one shingle."""
    words = tokens(normalized)
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer (a bijection), applied once to each shingle hash before the permutations."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def _hashes(batch: list[str]) -> np.ndarray:
    """The first 4 bytes (little-endian) of each shingle's UTF-8 SHA-1, mixed by `_fmix32`."""
    digests = b"".join(hashlib.sha1(item.encode("utf-8")).digest()[:4] for item in batch)
    return _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32))


def signature(items: Iterable[str]) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint32 values) of a shingle set: per permutation, the least a * h + b.

    Hashed in batches of BATCH shingles (the minimum over batches is the minimum over all): a batch costs a
    BATCH x NUM_PERM matrix, so a multi-megabyte article does not take gigabytes.
    """
    result = _EMPTY.copy()
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == BATCH:
            np.minimum(result, (_hashes(batch)[:, None] * _A + _B).min(axis=0), out=result)
            batch = []
    if batch:
        np.minimum(result, (_hashes(batch)[:, None] * _A + _B).min(axis=0), out=result)
    return result


def band_buckets(sig: np.ndarray) -> list[int]:
    """One signed 64-bit bucket per band (index = band number), a hash of that band's rows."""
    raw = np.ascontiguousarray(sig, dtype=np.uint32)
    return [
        int.from_bytes(hashlib.blake2b(raw[band * ROWS:(band + 1) * ROWS].tobytes(), digest_size=8).digest(),
                       "little", signed=True)
        for band in range(BANDS)
    ]


def jaccard(left: set[str], right: set[str]) -> float:
    """Exact Jaccard similarity of two shingle sets (0 for two empty sets)."""
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def estimated_jaccard(left: np.ndarray, right: np.ndarray) -> float:
    """The MinHash estimate of Jaccard similarity from two signatures."""
    return float(np.count_nonzero(left == right)) / NUM_PERM


@dataclass
class MemoryIndex:
    """An in-memory LSH index over band buckets (evaluation and benchmarks; production uses PostgreSQL)."""

    buckets: dict[tuple[int, int], list[int]]

    @classmethod
    def empty(cls) -> MemoryIndex:
        """A new, empty index."""
        return cls({})

    def add(self, key: int, buckets: list[int]) -> None:
        """Index `key` under its band buckets."""
        for band, bucket in enumerate(buckets):
            self.buckets.setdefault((band, bucket), []).append(key)

    def candidates(self, buckets: list[int], min_shared: int = MIN_SHARED_BANDS) -> set[int]:
        """Keys sharing at least `min_shared` band buckets."""
        shared: dict[int, int] = {}
        for band, bucket in enumerate(buckets):
            for key in self.buckets.get((band, bucket), ()):
                shared[key] = shared.get(key, 0) + 1
        return {key for key, count in shared.items() if count >= min_shared}
