"""Load staged articles: COPY into a temporary table, then `INSERT ... ON CONFLICT`, in one transaction.

Reads DATABASE_URL (passed in). Within the same transaction: article versions are kept, exact duplicates are
linked to their original, and the crawl run gets its load counts. Loading the same rows twice changes nothing.
Each article row is written once: its exact-duplicate link (the content hash looked up in the batch and in the
archive first) is decided before the insert, so only stored rows whose link the batch changes are updated.
A row the database rejects (a value it cannot store) does not reject the batch: the batch is rolled back to a
savepoint, each row is tried alone to find the rejected ones, and the others load; the rejected rows are the
run's failed items of the load step (`run_failures`).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2
import psycopg2.errors

from etl.store import failures, runs
from etl.store.db import raw_connection
from etl.store.failures import Failure

log = logging.getLogger(__name__)

# Column order of the staging table and of the COPY stream.
STAGED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "text"), ("article_id", "text"), ("url", "text"), ("canonical_url", "text"),
    ("language", "text"), ("title", "text"), ("published_at", "timestamptz"), ("published_raw", "text"),
    ("modified_at", "timestamptz"), ("body", "text"), ("dateline_place", "text"), ("author", "text"),
    ("tags", "jsonb"), ("image_url", "text"), ("content_hash", "text"), ("warc_key", "text"),
    ("warc_offset", "bigint"), ("warc_record_id", "text"), ("extractor_version", "text"),
    ("extraction", "jsonb"), ("fetched_at", "timestamptz"), ("crawl_run_id", "bigint"),
    # Text quality (etl/transform/quality.py, migration 0002).
    ("detected_language", "text"), ("language_shares", "jsonb"), ("script", "text"), ("normalized_body", "text"),
    ("boilerplate_removed", "jsonb"),
)

_CREATE_STAGE = (
    "CREATE TEMPORARY TABLE staged_articles ("
    + ", ".join(f"{name} {kind}" for name, kind in STAGED_COLUMNS)
    + ") ON COMMIT DROP"
)
_COPY = f"COPY staged_articles ({', '.join(n for n, _ in STAGED_COLUMNS)}) FROM STDIN"

# One row per natural key (the latest fetch wins) so ON CONFLICT never meets the same row twice. Each row gets
# its final id here: the stored row's, or the next of the sequence for a new one, so the exact-duplicate links
# can be decided before the insert writes the row.
_DEDUP_STAGE = """
CREATE TEMPORARY TABLE batch ON COMMIT DROP AS
SELECT coalesce(d.prior_id, nextval(pg_get_serial_sequence('articles', 'id'))) AS id, d.*
FROM (SELECT DISTINCT ON (s.source, s.article_id) s.*, a.id AS prior_id, a.content_hash AS prior_hash,
             a.first_seen_at AS prior_first_seen
      FROM staged_articles s LEFT JOIN articles a USING (source, article_id)
      ORDER BY s.source, s.article_id, s.fetched_at DESC, s.warc_offset DESC) AS d
"""

#: Serialises loads from the link decision to commit, so two loads never both make an original of one text.
_LINK_LOCK_ID = 7_401_455_322

# The exact-duplicate link of every article whose content hash the batch brings or leaves, the batch's rows as
# they are about to be stored: the original of a content hash is its earliest publication (then first seen,
# then lowest id); every other holder of the hash points at it. Nothing is written to `articles` here. (The cast
# lets the archive be searched through its content-hash index, which is on char(64).)
_EXACT_LINKS = """
CREATE TEMPORARY TABLE exact_links ON COMMIT DROP AS
WITH members AS (
    SELECT b.id, b.content_hash, b.published_at, coalesce(b.prior_first_seen, b.fetched_at) AS first_seen_at
    FROM batch b
    UNION ALL
    SELECT a.id, a.content_hash, a.published_at, a.first_seen_at
    FROM articles a
    WHERE a.content_hash IN (SELECT content_hash::char(64) FROM batch UNION SELECT prior_hash FROM batch)
      AND a.id NOT IN (SELECT id FROM batch)
)
SELECT id, nullif(first_value(id) OVER (PARTITION BY content_hash
                                        ORDER BY published_at NULLS LAST, first_seen_at, id), id) AS duplicate_of
FROM members
"""

# A near-duplicate link (the near-duplicate step's) is kept; any other link is the exact one.
_UPSERT = """
INSERT INTO articles AS a (
    id, source, article_id, url, canonical_url, language, title, published_at, published_raw, modified_at, body,
    dateline_place, author, tags, image_url, content_hash, warc_key, warc_offset, warc_record_id,
    extractor_version, extraction, crawl_run_id, first_seen_at, last_seen_at, updated_at,
    detected_language, language_shares, script, normalized_body, boilerplate_removed,
    duplicate_of, duplicate_kind, similarity)
SELECT b.id, source, article_id, url, canonical_url, language, title, published_at, published_raw, modified_at,
       body, dateline_place, author, ARRAY(SELECT jsonb_array_elements_text(tags)), image_url, content_hash,
       warc_key, warc_offset, warc_record_id, extractor_version, extraction, crawl_run_id, fetched_at, fetched_at,
       now(), detected_language, language_shares, script, normalized_body, boilerplate_removed,
       l.duplicate_of, CASE WHEN l.duplicate_of IS NOT NULL THEN 'exact' END,
       CASE WHEN l.duplicate_of IS NOT NULL THEN 1.0 END
FROM batch b JOIN exact_links l ON l.id = b.id
ON CONFLICT (source, article_id) DO UPDATE SET
    url = EXCLUDED.url, canonical_url = EXCLUDED.canonical_url, language = EXCLUDED.language,
    title = EXCLUDED.title, published_at = EXCLUDED.published_at, published_raw = EXCLUDED.published_raw,
    modified_at = EXCLUDED.modified_at, body = EXCLUDED.body, dateline_place = EXCLUDED.dateline_place,
    author = EXCLUDED.author, tags = EXCLUDED.tags, image_url = EXCLUDED.image_url,
    content_hash = EXCLUDED.content_hash, warc_key = EXCLUDED.warc_key, warc_offset = EXCLUDED.warc_offset,
    warc_record_id = EXCLUDED.warc_record_id, extractor_version = EXCLUDED.extractor_version,
    extraction = EXCLUDED.extraction, crawl_run_id = EXCLUDED.crawl_run_id,
    detected_language = EXCLUDED.detected_language, language_shares = EXCLUDED.language_shares,
    script = EXCLUDED.script, normalized_body = EXCLUDED.normalized_body,
    boilerplate_removed = EXCLUDED.boilerplate_removed,
    duplicate_of = CASE WHEN a.duplicate_kind = 'near' THEN a.duplicate_of ELSE EXCLUDED.duplicate_of END,
    duplicate_kind = CASE WHEN a.duplicate_kind = 'near' THEN a.duplicate_kind ELSE EXCLUDED.duplicate_kind END,
    similarity = CASE WHEN a.duplicate_kind = 'near' THEN a.similarity ELSE EXCLUDED.similarity END,
    last_seen_at = GREATEST(a.last_seen_at, EXCLUDED.last_seen_at), updated_at = now()
WHERE a.content_hash IS DISTINCT FROM EXCLUDED.content_hash
   OR a.extractor_version IS DISTINCT FROM EXCLUDED.extractor_version
   OR a.title IS DISTINCT FROM EXCLUDED.title
   OR a.published_at IS DISTINCT FROM EXCLUDED.published_at
   OR a.author IS DISTINCT FROM EXCLUDED.author
   OR a.tags IS DISTINCT FROM EXCLUDED.tags
   OR a.normalized_body IS DISTINCT FROM EXCLUDED.normalized_body
   OR a.detected_language IS DISTINCT FROM EXCLUDED.detected_language
RETURNING a.id, (xmax = 0) AS inserted
"""

# Stored articles whose exact link the batch changed (an earlier publication of their text arrived, or their
# original changed its text); rows the upsert just wrote already hold their link and are not touched again.
_RELINK_OTHERS = """
UPDATE articles a
SET duplicate_of = l.duplicate_of,
    duplicate_kind = CASE WHEN l.duplicate_of IS NOT NULL THEN 'exact' END,
    similarity = CASE WHEN l.duplicate_of IS NOT NULL THEN 1.0 END,
    updated_at = now()
FROM exact_links l
WHERE a.id = l.id
  AND a.duplicate_of IS DISTINCT FROM l.duplicate_of
  AND (a.duplicate_kind IS NULL OR a.duplicate_kind = 'exact')
"""

_TOUCH_UNCHANGED = """
UPDATE articles a SET last_seen_at = b.fetched_at
FROM batch b
WHERE a.id = b.id AND a.last_seen_at < b.fetched_at
"""

_VERSIONS = """
INSERT INTO article_versions AS v (
    article_pk, content_hash, title, body, published_at, modified_at, warc_key, warc_offset, extractor_version,
    crawl_run_id, first_seen_at, last_seen_at)
SELECT b.id, b.content_hash, b.title, b.body, b.published_at, b.modified_at, b.warc_key, b.warc_offset,
       b.extractor_version, b.crawl_run_id, b.fetched_at, b.fetched_at
FROM batch b
ON CONFLICT (article_pk, content_hash) DO UPDATE SET
    last_seen_at = GREATEST(v.last_seen_at, EXCLUDED.last_seen_at)
WHERE v.last_seen_at < EXCLUDED.last_seen_at
RETURNING (xmax = 0) AS inserted
"""

_ALIASES = """
INSERT INTO article_aliases (url, article_pk, first_seen_at)
SELECT DISTINCT ON (s.url) s.url, a.id, s.fetched_at
FROM staged_articles s JOIN articles a USING (source, article_id)
WHERE s.url <> a.canonical_url
ON CONFLICT (url) DO NOTHING
"""

#: Errors that one row's values can cause (bad data, a missing or invalid value, a limit such as the size of a
#: tsvector), as opposed to the server or the connection failing or a row pointing at an unrecorded archive,
#: which fail the whole load.
ROW_ERRORS = (psycopg2.DataError, psycopg2.errors.NotNullViolation, psycopg2.errors.CheckViolation,
              psycopg2.errors.ProgramLimitExceeded)

_BATCH_DUPLICATES = """
SELECT count(*) FROM articles a JOIN batch b ON a.id = b.id WHERE a.duplicate_of IS NOT NULL
"""


@dataclass(frozen=True)
class LoadResult:
    """What one load changed."""

    staged: int
    new: int
    updated: int
    unchanged: int
    new_versions: int
    duplicates: int
    rejected: tuple[Failure, ...] = ()

    def as_counts(self) -> dict[str, int]:
        """The counts stored on the crawl run."""
        return {"loaded_new": self.new, "loaded_updated": self.updated, "unchanged": self.unchanged,
                "duplicates": self.duplicates, "new_versions": self.new_versions, "staged": self.staged,
                "load_errors": len(self.rejected)}


def copy_value(value: Any, kind: str = "text") -> str:
    """One value in PostgreSQL COPY text format (NULL as \\N, jsonb as JSON, backslash and breaks escaped)."""
    if value is None:
        return r"\N"
    if kind == "jsonb":
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return (text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))


def copy_stream(rows: Iterable[Mapping[str, Any]]) -> io.StringIO:
    """Encode rows as PostgreSQL COPY text format in STAGED_COLUMNS order."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(copy_value(row.get(name), kind) for name, kind in STAGED_COLUMNS))
        buffer.write("\n")
    buffer.seek(0)
    return buffer


def _apply(cur: Any, rows: Sequence[Mapping[str, Any]]) -> tuple[int, int, int, int, int]:
    """Stage and upsert `rows` on `cur`: (new, updated, unchanged, new versions, duplicates)."""
    cur.execute(_CREATE_STAGE)
    cur.copy_expert(_COPY, copy_stream(rows))
    cur.execute(_DEDUP_STAGE)
    # Temporary tables have no statistics: without them the planner guesses sizes and scans the whole archive.
    cur.execute("ANALYZE batch (id, content_hash, prior_hash)")
    cur.execute(_EXACT_LINKS)
    cur.execute("ANALYZE exact_links")
    cur.execute(_UPSERT)
    changed = cur.fetchall()
    new = sum(1 for _, inserted in changed if inserted)
    cur.execute(_RELINK_OTHERS)
    cur.execute(_TOUCH_UNCHANGED)
    cur.execute(_VERSIONS)
    new_versions = sum(1 for (inserted,) in cur.fetchall() if inserted)
    cur.execute(_ALIASES)
    cur.execute("SELECT count(*) FROM batch")
    batch_size = int(cur.fetchone()[0])
    cur.execute(_BATCH_DUPLICATES)
    duplicates = int(cur.fetchone()[0])
    return new, len(changed) - new, batch_size - len(changed), new_versions, duplicates


def _one_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else 'no message'}"


def _rejected(cur: Any, rows: Sequence[Mapping[str, Any]]) -> dict[int, Failure]:
    """The rows (by index) the database rejects when each is loaded alone; nothing of the trials is kept."""
    found: dict[int, Failure] = {}
    for index, row in enumerate(rows):
        cur.execute("SAVEPOINT one_row")
        try:
            _apply(cur, [row])
        except ROW_ERRORS as exc:
            found[index] = Failure(str(row.get("url")), _one_line(exc), row.get("warc_key"), row.get("warc_offset"))
        cur.execute("ROLLBACK TO SAVEPOINT one_row")
    return found


def load_rows(database_url: str, rows: Sequence[Mapping[str, Any]], run_id: int | None = None) -> LoadResult:
    """Upsert staged rows, keep versions, relink exact duplicates and (if given) record counts on the run.

    Rows the database rejects are left out (the result's `rejected`; failed items of the run when given).
    """
    rejected: dict[int, Failure] = {}
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LINK_LOCK_ID,))
        cur.execute("SAVEPOINT whole_batch")
        try:
            new, updated, unchanged, new_versions, duplicates = _apply(cur, rows)
        except ROW_ERRORS as exc:
            cur.execute("ROLLBACK TO SAVEPOINT whole_batch")
            log.warning("the batch of %d rows was rejected (%s); finding the rejected rows", len(rows),
                        _one_line(exc))
            rejected = _rejected(cur, rows)
            if not rejected or len(rejected) == len(rows) > 1:
                raise  # no row fails alone, or every row does: the batch's problem is not a bad row
            good = [row for index, row in enumerate(rows) if index not in rejected]
            new, updated, unchanged, new_versions, duplicates = _apply(cur, good)
        result = LoadResult(len(rows), new, updated, unchanged, new_versions, duplicates,
                            tuple(rejected.values()))
        if run_id is not None:
            failures.record(cur, run_id, "load", result.rejected)
            cur.execute(
                """UPDATE crawl_runs SET loaded_new = %s, loaded_updated = %s, unchanged = %s, duplicates = %s,
                          status = %s, error = NULL, counts = counts || %s::jsonb
                   WHERE id = %s""",
                (new, updated, unchanged, duplicates, runs.STORED, json.dumps(result.as_counts()), run_id),
            )
    log.info("loaded %d staged rows: %d new, %d updated, %d unchanged, %d new versions, %d duplicates, "
             "%d rejected", result.staged, new, updated, unchanged, new_versions, duplicates, len(rejected))
    return result
