"""Exact deduplication: content hashes and the SQL that links republished copies to their original.

Reads no settings. The original of a cluster is its earliest publication (then first seen, then lowest id);
every other member points at it through `articles.duplicate_of`. Nothing is ever deleted.
"""

from __future__ import annotations

import hashlib
from typing import Any

from etl.core.model import Article


def content_hash(article: Article) -> str:
    """sha256 of the cleaned body (paragraphs joined by newlines): equal for exact republications."""
    return hashlib.sha256(article.body.encode("utf-8")).hexdigest()


RELINK_EXACT_SQL = """
WITH ranked AS (
    SELECT id,
           first_value(id) OVER (PARTITION BY content_hash
                                 ORDER BY published_at NULLS LAST, first_seen_at, id) AS original
    FROM articles
    WHERE content_hash = ANY(%(hashes)s)
), target AS (
    SELECT id, CASE WHEN original = id THEN NULL ELSE original END AS duplicate_of FROM ranked
)
UPDATE articles AS a
SET duplicate_of = t.duplicate_of,
    duplicate_kind = CASE WHEN t.duplicate_of IS NULL THEN NULL ELSE 'exact' END,
    similarity = CASE WHEN t.duplicate_of IS NULL THEN NULL ELSE 1.0 END,
    updated_at = now()
FROM target AS t
WHERE a.id = t.id
  AND a.duplicate_of IS DISTINCT FROM t.duplicate_of
  AND (a.duplicate_kind IS NULL OR a.duplicate_kind = 'exact')
"""


def relink_exact(cur: Any, hashes: list[str]) -> int:
    """Recompute exact-duplicate links for the given content hashes; return the rows changed."""
    if not hashes:
        return 0
    cur.execute(RELINK_EXACT_SQL, {"hashes": hashes})
    return int(cur.rowcount)
