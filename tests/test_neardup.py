"""MinHash/LSH maths and the dedup evaluation set: recall >= 0.95 at precision >= 0.99 (docs/dedup.md)."""

from __future__ import annotations

from dedup_eval.corpus import build, same_tag_pairs
from dedup_eval.evaluate import cluster_pairs, normalized, score, truth

from etl.transform import neardup


def test_shingles_are_word_bigrams_of_the_normalized_text() -> None:
    assert neardup.shingles("бір екі үш") == {"бір екі", "екі үш"}
    assert neardup.shingles("жалғыз") == {"жалғыз"}
    assert neardup.shingles("") == set()
    assert neardup.shingles("«барыс» 4:2 жеңді.") == {"барыс 4", "4 2", "2 жеңді"}


def test_signature_is_deterministic_and_estimates_jaccard() -> None:
    left = neardup.shingles(" ".join(f"сөз{i}" for i in range(200)))
    right = neardup.shingles(" ".join(f"сөз{i}" for i in range(50, 250)))
    sig_left, sig_right = neardup.signature(left), neardup.signature(right)
    assert (sig_left == neardup.signature(left)).all()
    assert len(sig_left) == neardup.NUM_PERM and sig_left.dtype.name == "uint32"
    exact = neardup.jaccard(left, right)
    assert abs(neardup.estimated_jaccard(sig_left, sig_right) - exact) < 0.15
    buckets = neardup.band_buckets(sig_left)
    assert len(buckets) == neardup.BANDS and buckets == neardup.band_buckets(sig_left.copy())


def _predict() -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    """Run LSH (in memory) + exact verification over the evaluation documents: (predicted, candidate) pairs."""
    docs = build()
    index = neardup.MemoryIndex.empty()
    shingle_sets = [neardup.shingles(normalized(doc)) for doc in docs]
    predicted: set[frozenset[str]] = set()
    candidates: set[frozenset[str]] = set()
    for position, doc in enumerate(docs):
        buckets = neardup.band_buckets(neardup.signature(shingle_sets[position]))
        for other in index.candidates(buckets):
            pair = frozenset((doc.doc_id, docs[other].doc_id))
            candidates.add(pair)
            if neardup.jaccard(shingle_sets[position], shingle_sets[other]) >= neardup.THRESHOLD:
                predicted.add(pair)
        index.add(position, buckets)
    return predicted, candidates


def test_evaluation_set_precision_and_recall() -> None:
    docs = build()
    kinds = {doc.kind for doc in docs}
    assert {"original", "lead_footer", "rewritten_lead", "light_edit", "lookalike", "shortened",
            "translation_ru", "translation_en", "same_topic"} <= kinds
    assert len(truth(docs)) > 1000 and len(same_tag_pairs()) > 50
    predicted, candidates = _predict()
    result = score(docs, predicted)
    assert result.recall >= 0.95, result
    assert result.precision >= 0.99, result
    clustered = score(docs, cluster_pairs(predicted))  # transitive clusters, as linked in the archive
    assert clustered.recall >= 0.95 and clustered.precision >= 0.99, clustered
    # The LSH stage alone must not be what loses recall.
    assert len(truth(docs) - candidates) <= 0.01 * len(truth(docs))


def test_translations_and_same_topic_stories_never_match() -> None:
    docs = {doc.doc_id: doc for doc in build()}
    predicted, _ = _predict()
    for pair in predicted:
        kinds = {docs[doc_id].kind for doc_id in pair}
        assert not kinds & {"translation_ru", "translation_en", "same_topic"}, pair
    same_tag = same_tag_pairs()
    assert not predicted & same_tag
