"""Our numpy MinHash gives the signatures datasketch 2.0 (`affine32`, seed 20260101) gave, so the signatures and
band rows stored before it was dropped stay valid: golden values captured from datasketch on 2026-12-02."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
from dedup_eval.corpus import build
from dedup_eval.evaluate import normalized

from etl.transform import neardup

SAMPLES = {  # text -> sha256 (first 16 hex digits) of its signature as stored (uint32 little-endian)
    "": "9f56cda75fefeab9",
    "жалғыз": "e5d7471a12a84a12",
    "бір екі үш": "91a3c10f7ec91ec2",
    " ".join(f"сөз{i}" for i in range(200)): "1084e0536c792fef",
    "астана. kazinform – төтенше жағдайлар министрлігі азаматтарды мереке күндері пиротехникалық бұйымдарды "
    "абайлап қолдануға шақырды.": "019feb8c0ddd862a",
    "the quick brown fox jumps over the lazy dog 2026 4:2": "65cd7eac7f31da3f",
}
FIRST_VALUES = [121026248, 6360140, 54408131, 232261637, 168135069, 263806953, 489742124, 306598187]
FIRST_BUCKETS = [3300229775140761552, 3591218994426532847, -858676214920629994, 5897235285001456346]
# The 450 evaluation documents, signatures and band buckets concatenated in corpus order.
EVAL_SIGNATURES = "6d47f98e0e72ed82a718ef399c4fe1e3532c5d9dcdad17fc8f559d89b3ece500"
EVAL_BUCKETS = "9f5925a53e344374452847e4457647d18ce07d8635f38459ba30fbc402e56627"


def _digest(sig: np.ndarray) -> str:
    return hashlib.sha256(sig.astype("<u4").tobytes()).hexdigest()


def test_signatures_equal_the_datasketch_ones_stored_so_far() -> None:
    for text, expected in SAMPLES.items():
        assert _digest(neardup.signature(neardup.shingles(text)))[:16] == expected, text
    dateline = next(text for text in SAMPLES if text.startswith("астана"))
    sig = neardup.signature(neardup.shingles(dateline))
    assert sig.tolist()[:8] == FIRST_VALUES
    assert neardup.band_buckets(sig)[:4] == FIRST_BUCKETS
    assert (neardup.signature(set()) == 0xFFFFFFFF).all()


def test_a_text_longer_than_one_hashing_batch_has_the_datasketch_signature() -> None:
    rng = np.random.default_rng(5)
    text = " ".join(f"w{int(x)}" for x in rng.integers(0, 50000, 25000))
    assert len(neardup.shingles(text)) > 2 * neardup.BATCH
    assert _digest(neardup.signature(neardup.shingles(text)))[:16] == "cf0ca95f98ccf2b3"


def test_the_evaluation_set_has_the_datasketch_signatures_and_buckets() -> None:
    signatures = hashlib.sha256()
    buckets = hashlib.sha256()
    for doc in build():
        sig = neardup.signature(neardup.shingles(normalized(doc)))
        signatures.update(sig.astype("<u4").tobytes())
        buckets.update(np.asarray(neardup.band_buckets(sig), dtype="<i8").tobytes())
    assert signatures.hexdigest() == EVAL_SIGNATURES
    assert buckets.hexdigest() == EVAL_BUCKETS


def test_importing_the_minhash_imports_neither_datasketch_nor_scipy() -> None:
    code = "import sys, etl.transform.neardup; print(sorted({'datasketch', 'scipy'} & set(sys.modules)))"
    found = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert found.strip() == "[]"
