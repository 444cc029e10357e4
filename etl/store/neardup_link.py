"""Near-duplicate linking against the whole archive, with MinHash signatures and LSH bands kept in PostgreSQL.

For the given articles (one run's new or changed rows): exact duplicates short-circuit (they are linked by
`etl.transform.dedup` and only join their original's cluster); every other article gets its signature and its
band keys stored (one `minhash_lsh` row of 64 keys, migration 0019), its LSH candidates from the whole archive
(one query for the batch, each band probed through its own index, so the cost per article stays nearly flat
as the archive grows) are verified by exact Jaccard of word-bigram sets, and matching articles join one cluster. The cluster's original is its earliest publication (then first seen,
then lowest id); every other member points at it (`duplicate_kind = 'near'`, `similarity` = Jaccard to the
original). `cluster_id` (the original's id) is set on every member of a cluster, exact copies and their
original included, and left NULL on articles that have no duplicate (no write for the common case).
Nothing is deleted, and running again on the same articles changes nothing.
Reads no settings (the caller passes a cursor inside its transaction).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from etl.transform import neardup
from etl.transform.normalize import normalize_body

log = logging.getLogger(__name__)

_LOCK_ID = 7_401_455_321  # one near-dedup transaction at a time: clusters span sources
_INFINITY = datetime.max.replace(tzinfo=None)


@dataclass(frozen=True)
class NearResult:
    """What one near-dedup pass did."""

    articles: int
    indexed: int
    exact_skipped: int
    candidates: int
    near_duplicates: int
    links_changed: int

    def as_counts(self) -> dict[str, int]:
        """The counts stored on the crawl run."""
        return {"near_indexed": self.indexed, "near_candidates": self.candidates,
                "near_duplicates": self.near_duplicates, "near_links_changed": self.links_changed}


@dataclass
class _Row:
    id: int
    text: str
    published_at: datetime | None
    first_seen_at: datetime
    duplicate_of: int | None
    duplicate_kind: str | None
    similarity: float | None
    cluster_id: int | None

    def order(self) -> tuple[datetime, datetime, int]:
        published = self.published_at.replace(tzinfo=None) if self.published_at else _INFINITY
        return published, self.first_seen_at.replace(tzinfo=None), self.id


_ROW_SQL = """
SELECT a.id, coalesce(a.normalized_body, a.body), a.normalized_body IS NULL, a.published_at, a.first_seen_at,
       a.duplicate_of, a.duplicate_kind, a.similarity, a.cluster_id
FROM articles a WHERE a.id = ANY(%s)
"""


def _rows(cur: Any, ids: Iterable[int]) -> dict[int, _Row]:
    cur.execute(_ROW_SQL, (sorted(set(ids)),))
    found: dict[int, _Row] = {}
    for pk, text, raw, published, first_seen, dup_of, kind, similarity, cluster in cur.fetchall():
        if raw:  # loaded before normalization existed: normalize the stored body now
            text = normalize_body(text.split("\n"))
        found[pk] = _Row(pk, text, published, first_seen, dup_of, kind, similarity, cluster)
    return found


_BAND_COLUMNS = tuple(f"b{band:02d}" for band in range(neardup.BANDS))  # minhash_lsh (migration 0019)
_COPY_LSH = f"COPY minhash_lsh (article_pk, {', '.join(_BAND_COLUMNS)}) FROM STDIN"


def store_index(cur: Any, items: Sequence[tuple[int, str, np.ndarray]]) -> None:
    """Replace the signatures and band keys of the given (article id, content hash, signature) triples."""
    ids = [pk for pk, _, _ in items]
    cur.execute("DELETE FROM minhash_lsh WHERE article_pk = ANY(%s)", (ids,))
    cur.execute("DELETE FROM minhash_signatures WHERE article_pk = ANY(%s)", (ids,))
    signatures = io.StringIO()
    bands = io.StringIO()
    for pk, content_hash, sig in items:
        signatures.write(f"{pk}\t{neardup.PARAMS}\t{content_hash}\t\\\\x{sig.astype('<u4').tobytes().hex()}\n")
        bands.write("\t".join(map(str, (pk, *neardup.band_buckets(sig)))) + "\n")
    signatures.seek(0)
    bands.seek(0)
    cur.copy_expert("COPY minhash_signatures (article_pk, params, content_hash, signature) FROM STDIN", signatures)
    cur.copy_expert(_COPY_LSH, bands)


# The batch's band keys go to a temporary table; each band is then probed per batch article through its own
# index (`OFFSET 0` keeps each probe a nested index-only lookup: a join the planner flattened would scan a
# whole band index per run, a cost that grows with the archive).
_QUERY_TABLE = ("CREATE TEMPORARY TABLE lsh_query (LIKE minhash_lsh) ON COMMIT DROP")
_COPY_QUERY = _COPY_LSH.replace("minhash_lsh", "lsh_query")
_CANDIDATES = (
    "SELECT q, c FROM ("
    + " UNION ALL ".join(
        f"SELECT q.article_pk AS q, m.article_pk AS c FROM lsh_query q CROSS JOIN LATERAL "
        f"(SELECT l.article_pk FROM minhash_lsh l WHERE l.{column} = q.{column} OFFSET 0) m"
        for column in _BAND_COLUMNS)
    + ") shared WHERE q <> c GROUP BY q, c HAVING count(*) >= %s"
)


def _candidates(cur: Any, buckets: dict[int, list[int]]) -> list[tuple[int, int]]:
    """(article, candidate) pairs: archived articles sharing at least MIN_SHARED_BANDS band keys with one of
    the given articles (one query for the whole batch)."""
    if not buckets:
        return []
    cur.execute(_QUERY_TABLE)
    cur.copy_expert(_COPY_QUERY, io.StringIO("".join(
        "\t".join(map(str, (pk, *keys))) + "\n" for pk, keys in buckets.items())))
    cur.execute("ANALYZE lsh_query")
    cur.execute(_CANDIDATES, (neardup.MIN_SHARED_BANDS,))
    found = cur.fetchall()
    cur.execute("DROP TABLE lsh_query")
    return [(int(left), int(right)) for left, right in found]


def _find(parent: dict[int, int], key: int) -> int:
    while parent.setdefault(key, key) != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


_UPDATE_LINKS = """
UPDATE articles a
SET duplicate_of = v.dup, duplicate_kind = v.kind, similarity = v.sim, cluster_id = v.cluster, updated_at = now()
FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::real[], %s::bigint[]) AS v(id, dup, kind, sim, cluster)
WHERE a.id = v.id
  AND (a.duplicate_of IS DISTINCT FROM v.dup OR a.duplicate_kind IS DISTINCT FROM v.kind
       OR a.similarity IS DISTINCT FROM v.sim OR a.cluster_id IS DISTINCT FROM v.cluster)
"""

_EXACT_ORIGINALS = """
UPDATE articles o SET cluster_id = o.id, updated_at = now()
WHERE o.cluster_id IS NULL AND o.duplicate_of IS NULL
  AND o.id IN (SELECT duplicate_of FROM articles WHERE id = ANY(%s) AND duplicate_kind = 'exact')
"""

_EXACT_CLUSTERS = """
UPDATE articles e SET cluster_id = coalesce(o.cluster_id, o.id), updated_at = now()
FROM articles o
WHERE o.id = e.duplicate_of AND e.duplicate_kind = 'exact'
  AND (e.id = ANY(%(ids)s) OR o.id = ANY(%(ids)s))
  AND e.cluster_id IS DISTINCT FROM coalesce(o.cluster_id, o.id)
"""


def link_near_duplicates(cur: Any, article_ids: Sequence[int]) -> NearResult:
    """Index the given articles and link their near-duplicates across the archive (see the module doc)."""
    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
    cur.execute("SELECT id, content_hash, duplicate_kind FROM articles WHERE id = ANY(%s)", (list(article_ids),))
    listed = cur.fetchall()
    exact = [pk for pk, _, kind in listed if kind == "exact"]
    hashes = {pk: h for pk, h, kind in listed if kind != "exact"}
    if exact:  # short-circuit: an exact copy adds nothing to the index
        cur.execute("DELETE FROM minhash_lsh WHERE article_pk = ANY(%s)", (exact,))
        cur.execute("DELETE FROM minhash_signatures WHERE article_pk = ANY(%s)", (exact,))
    rows = _rows(cur, hashes)
    cur.execute("SELECT article_pk, params, content_hash FROM minhash_signatures WHERE article_pk = ANY(%s)",
                (list(hashes),))
    current = {pk: (params, h) for pk, params, h in cur.fetchall()}
    shingle_sets = {pk: neardup.shingles(row.text) for pk, row in rows.items()}
    signatures = {pk: neardup.signature(shingle_sets[pk]) for pk in rows}
    buckets = {pk: neardup.band_buckets(signatures[pk]) for pk in rows}
    stale = [(pk, hashes[pk], signatures[pk]) for pk in rows if current.get(pk) != (neardup.PARAMS, hashes[pk])]
    if stale:
        store_index(cur, stale)
    pairs = _candidates(cur, buckets)
    others = _rows(cur, {cand for _, cand in pairs} - set(rows))
    known = {**rows, **others}

    def shingles_of(pk: int) -> set[str]:
        if pk not in shingle_sets:
            shingle_sets[pk] = neardup.shingles(known[pk].text)
        return shingle_sets[pk]

    parent: dict[int, int] = {}
    for left, right in pairs:
        if known[right].duplicate_kind == "exact":
            continue
        if neardup.jaccard(shingles_of(left), shingles_of(right)) >= neardup.THRESHOLD:
            parent[_find(parent, left)] = _find(parent, right)
    # Clusters already in the archive that a match touches join in whole (the batch's own, possibly stale,
    # cluster ids are not followed: its articles are matched afresh).
    old_clusters: set[int] = set()
    for pk in parent:
        cluster_id = known[pk].cluster_id
        if pk not in rows and cluster_id is not None:
            old_clusters.add(cluster_id)
    if old_clusters:
        cur.execute("SELECT id FROM articles WHERE cluster_id = ANY(%s) AND duplicate_kind IS DISTINCT FROM 'exact'",
                    (sorted(old_clusters),))
        members = [pk for (pk,) in cur.fetchall()]
        known.update(_rows(cur, set(members) - set(known)))
        for pk in members:
            cluster = known[pk].cluster_id
            if cluster is not None and cluster in known:
                parent[_find(parent, pk)] = _find(parent, cluster)
    components: dict[int, list[int]] = {}
    for pk in list(parent):
        components.setdefault(_find(parent, pk), []).append(pk)
    for pk in rows:  # articles with no match: no near link; a cluster id only if they have exact copies
        if pk not in parent:
            components[pk] = [pk]
    cur.execute("SELECT DISTINCT duplicate_of FROM articles WHERE duplicate_kind = 'exact' AND duplicate_of = ANY(%s)",
                (list(rows),))
    has_copies = {pk for (pk,) in cur.fetchall()}
    links: list[tuple[int, int | None, str | None, float | None, int | None]] = []
    for members in components.values():
        original = min((known[pk] for pk in members), key=_Row.order).id
        for pk in sorted(members):
            if len(members) == 1:
                links.append((pk, None, None, None, pk if pk in has_copies else None))
            elif pk == original:
                links.append((pk, None, None, None, original))
            else:
                similarity = round(neardup.jaccard(shingles_of(pk), shingles_of(original)), 4)
                links.append((pk, original, "near", similarity, original))
    cur.execute(_UPDATE_LINKS, tuple(list(column) for column in zip(*links, strict=True)) if links
                else ([], [], [], [], []))
    changed = int(cur.rowcount)
    touched = sorted({pk for members in components.values() for pk in members})
    cur.execute(_EXACT_ORIGINALS, (exact,))
    cur.execute(_EXACT_CLUSTERS, {"ids": sorted(set(touched) | set(exact))})
    cur.execute("SELECT count(*) FROM articles WHERE id = ANY(%s) AND duplicate_kind = 'near'", (list(rows),))
    near = int(cur.fetchone()[0])
    result = NearResult(len(listed), len(stale), len(exact), len(pairs), near, changed)
    log.info("near dedup: %s", result)
    return result
