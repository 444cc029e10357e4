"""Score a near-duplicate detector on the evaluation documents: precision and recall over all document pairs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

from dedup_eval.corpus import Doc
from etl.transform.normalize import normalize_body, strip_boilerplate


@dataclass(frozen=True)
class Score:
    """Pair counts and the figures derived from them."""

    true_pos: int
    false_pos: int
    false_neg: int
    negatives: int

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was predicted."""
        predicted = self.true_pos + self.false_pos
        return self.true_pos / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN)."""
        positives = self.true_pos + self.false_neg
        return self.true_pos / positives if positives else 1.0


def normalized(doc: Doc) -> str:
    """The normalized body the pipeline would hash: boilerplate stripped, then normalized."""
    kept, _ = strip_boilerplate(doc.paragraphs)
    return normalize_body(kept)


def truth(docs: Sequence[Doc]) -> set[frozenset[str]]:
    """Every pair of documents in the same group."""
    return {frozenset((a.doc_id, b.doc_id)) for a, b in combinations(docs, 2) if a.group == b.group}


def score(docs: Sequence[Doc], predicted: set[frozenset[str]]) -> Score:
    """Compare predicted pairs with the groups."""
    positives = truth(docs)
    total = len(docs) * (len(docs) - 1) // 2
    return Score(len(predicted & positives), len(predicted - positives), len(positives - predicted),
                 total - len(positives))


def all_pair_similarities(docs: Sequence[Doc], similarity: Callable[[str, str], float]) -> dict[frozenset[str], float]:
    """Similarity of every document pair (for threshold measurements)."""
    texts = {doc.doc_id: normalized(doc) for doc in docs}
    return {frozenset((a.doc_id, b.doc_id)): similarity(texts[a.doc_id], texts[b.doc_id])
            for a, b in combinations(docs, 2)}


def cluster_pairs(predicted: set[frozenset[str]]) -> set[frozenset[str]]:
    """Every pair in the same cluster when predicted pairs are joined transitively (what the archive stores)."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    for pair in predicted:
        left, right = sorted(pair)
        parent[find(left)] = find(right)
    clusters: dict[str, list[str]] = {}
    for key in parent:
        clusters.setdefault(find(key), []).append(key)
    return {frozenset(pair) for members in clusters.values() for pair in combinations(sorted(members), 2)}
