"""How shingle size, similarity measure and LSH settings were chosen, measured on the Kazakh evaluation set.

For each shingling (word 1/2/3/5-grams, character 5/7-grams) and measure (Jaccard, containment), over all
document pairs of tests/dedup_eval: the lowest similarity of a true near-duplicate pair, the highest of a
non-duplicate pair, and the gap ratio between them; then, for the chosen shingling, precision/recall at
several thresholds, and the probability that the LSH stage (bands x rows, minimum shared bands) keeps a
pair at a given Jaccard, with the rate of non-duplicate pairs it would pass on.

Usage: .venv/bin/python benchmarks/dedup_measure.py. Not a test. Figures go to docs/dedup.md.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from dedup_eval.corpus import build  # noqa: E402
from dedup_eval.evaluate import normalized, truth  # noqa: E402

from etl.transform import neardup  # noqa: E402

Shingler = Callable[[str], set[str]]


def words(size: int) -> Shingler:
    """Word n-gram shingles."""
    return lambda text: neardup.shingles(text, size)


def chars(size: int) -> Shingler:
    """Character n-gram shingles (spaces collapsed)."""
    def shingle(text: str) -> set[str]:
        flat = re.sub(r"\s+", " ", text)
        return {flat[i:i + size] for i in range(max(1, len(flat) - size + 1))}
    return shingle


def containment(left: set[str], right: set[str]) -> float:
    """|A & B| / min(|A|, |B|)."""
    return len(left & right) / min(len(left), len(right)) if left and right else 0.0


def at_least(shared: int, bands: int, p: np.ndarray | float) -> np.ndarray:
    """P(at least `shared` of `bands` independent bands match), each with probability `p` (binomial tail)."""
    p = np.asarray(p, dtype=float)
    return np.asarray(sum(math.comb(bands, k) * p ** k * (1 - p) ** (bands - k) for k in range(shared, bands + 1)))


def main() -> int:
    """Print the tables."""
    docs = build()
    positives = truth(docs)
    texts = {doc.doc_id: normalized(doc) for doc in docs}
    pairs = [frozenset((a.doc_id, b.doc_id)) for a, b in combinations(docs, 2)]
    print(f"{len(docs)} documents, {len(positives)} near-duplicate pairs, {len(pairs) - len(positives)} others\n")
    print("| shingles | measure | lowest duplicate pair | highest other pair | gap ratio |")
    print("|---|---|---|---|---|")
    chosen: dict[frozenset[str], float] = {}
    for name, shingler in (("word 1", words(1)), ("word 2", words(2)), ("word 3", words(3)), ("word 5", words(5)),
                           ("char 5", chars(5)), ("char 7", chars(7))):
        sets = {key: shingler(text) for key, text in texts.items()}
        for measure_name, measure in (("Jaccard", neardup.jaccard), ("containment", containment)):
            sims = {pair: measure(*(sets[key] for key in sorted(pair))) for pair in pairs}
            low = min(v for p, v in sims.items() if p in positives)
            high = max(v for p, v in sims.items() if p not in positives)
            print(f"| {name} | {measure_name} | {low:.3f} | {high:.3f} | {low / high:.2f} |")
            if name == f"word {neardup.SHINGLE_WORDS}" and measure_name == "Jaccard":
                chosen = sims
    print(f"\nword {neardup.SHINGLE_WORDS}-grams, Jaccard: precision / recall by threshold (all pairs, no LSH)\n")
    print("| threshold | precision | recall |")
    print("|---|---|---|")
    for threshold in (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5):
        predicted = {p for p, v in chosen.items() if v >= threshold}
        tp = len(predicted & positives)
        precision = tp / len(predicted) if predicted else 1.0
        print(f"| {threshold:.2f} | {precision:.4f} | {tp / len(positives):.4f} |")
    others = np.array([v for p, v in chosen.items() if p not in positives])
    print(f"\nother pairs: median {np.median(others):.4f}, p90 {np.percentile(others, 90):.4f}, "
          f"p99 {np.percentile(others, 99):.4f}\n")
    print("| rows x bands (perms) | min shared bands | P(keep) at J=0.25 / 0.33 / 0.40 / 0.48 | other pairs kept |")
    print("|---|---|---|---|")
    for rows, bands, shared in ((2, 64, 1), (2, 64, 2), (2, 64, 3), (2, 64, 4), (3, 42, 1), (4, 32, 1)):
        keep = " / ".join(f"{float(at_least(shared, bands, j ** rows)):.3f}" for j in (0.25, 0.33, 0.40, 0.478))
        rate = float(at_least(shared, bands, others ** rows).mean())
        print(f"| {rows} x {bands} ({rows * bands}) | {shared} | {keep} | {rate:.1e} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
