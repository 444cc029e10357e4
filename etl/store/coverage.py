"""The coverage ledger: one `coverage` row per (source, local day), recomputed from `crawl_runs` and `articles`.

A day is `complete` only when a finished run read its feeds and listings unblocked, discovered articles, and
every article it loaded is present; a day whose discovery was blocked (a challenge page, 403 or 429) or found
nothing is `partial`, so `backfill --only-gaps` tries it again.

Reads DATABASE_URL (passed in). `refresh` is called after every run's summary, by the health check, and before
anything reads the ledger (`newsarchive coverage`, `backfill --only-gaps`, the report), so the ledger is never
older than the runs it describes. Health columns are written by `etl.store.health` only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from etl.store import runs
from etl.store.db import raw_connection

log = logging.getLogger(__name__)

STATUSES = ("complete", "partial", "failed", "never-run")

# One statement per source: every day in [start, end], its runs, the latest run and the articles present.
_REFRESH = """
WITH days AS (
    SELECT %(source)s::text AS source, d::date AS day
    FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d
    WHERE EXISTS (SELECT 1 FROM sources WHERE name = %(source)s)
), runs AS (
    SELECT r.partition_date AS day, count(*) AS runs, max(r.id) AS last_run_id,
           max(r.discovered) AS discovered, sum(r.fetched) AS fetched,
           coalesce(sum(r.fetched) FILTER (WHERE ra.id IS NOT NULL), 0) AS archived,
           sum(r.extracted) AS extracted,
           bool_or(r.status = %(done)s) AS any_loaded,
           -- a loaded run whose feeds and listings were read and found articles: the day was seen whole
           bool_or(r.status = %(done)s AND r.discovered > 0
                   AND coalesce((r.counts->>'discovery_blocked')::int, 0) = 0) AS seen_whole,
           bool_or(r.status = %(done)s AND coalesce((r.counts->>'discovery_blocked')::int, 0) > 0)
               AS discovery_blocked,
           bool_or(r.status = ANY(%(open)s) AND r.error IS NULL) AS unfinished,
           coalesce(max(r.loaded_new + r.loaded_updated + r.unchanged) FILTER (WHERE r.status = %(done)s), 0)
               AS expected
    FROM crawl_runs r LEFT JOIN raw_archives ra ON ra.crawl_run_id = r.id
    WHERE r.source = %(source)s AND r.partition_date BETWEEN %(start)s AND %(end)s
    GROUP BY r.partition_date
), latest AS (
    SELECT DISTINCT ON (partition_date) partition_date AS day, status, blocked, failed, extract_errors, error
    FROM crawl_runs
    WHERE source = %(source)s AND partition_date BETWEEN %(start)s AND %(end)s
    ORDER BY partition_date, (status = %(crawling)s), id DESC
), present AS (
    SELECT r.partition_date AS day, count(*) AS loaded, count(a.duplicate_of) AS duplicates,
           count(*) FILTER (WHERE a.extraction->>'body' = 'generic') AS fallback
    FROM articles a JOIN crawl_runs r ON r.id = a.crawl_run_id
    WHERE a.source = %(source)s AND r.partition_date BETWEEN %(start)s AND %(end)s
    GROUP BY r.partition_date
), ledger AS (
    SELECT d.source, d.day, coalesce(r.runs, 0) AS runs, r.last_run_id,
           coalesce(r.discovered, 0) AS discovered, coalesce(r.fetched, 0) AS fetched,
           coalesce(l.blocked, 0) AS blocked, coalesce(l.failed, 0) AS failed,
           coalesce(r.archived, 0) AS archived, coalesce(r.extracted, 0) AS extracted,
           coalesce(l.extract_errors, 0) AS extract_errors, coalesce(r.expected, 0) AS expected,
           coalesce(p.loaded, 0) AS loaded, coalesce(p.duplicates, 0) AS duplicates,
           coalesce(p.fallback, 0) AS fallback,
           CASE
               WHEN r.runs IS NULL THEN 'never-run'
               WHEN r.seen_whole AND coalesce(p.loaded, 0) >= r.expected THEN 'complete'
               WHEN r.any_loaded OR r.unfinished THEN 'partial'
               ELSE 'failed'
           END AS status,
           CASE
               WHEN r.runs IS NULL THEN NULL
               WHEN r.any_loaded AND coalesce(p.loaded, 0) < r.expected
                   THEN (r.expected - coalesce(p.loaded, 0))::text || ' of ' || r.expected::text
                        || ' loaded articles are missing'
               WHEN r.any_loaded AND NOT r.seen_whole AND r.discovery_blocked
                   THEN 'a feed or listing was blocked (challenge page, 403 or 429): articles may be missing'
               WHEN r.any_loaded AND NOT r.seen_whole THEN 'no article was discovered (empty feed or listing)'
               WHEN l.error IS NOT NULL THEN left('latest run failed: ' || coalesce(l.error, ''), 500)
               WHEN l.status <> %(done)s THEN 'latest run stopped after step: ' || l.status
           END AS detail
    FROM days d LEFT JOIN runs r USING (day) LEFT JOIN latest l USING (day) LEFT JOIN present p USING (day)
    WHERE r.runs IS NOT NULL OR %(with_never_run)s
)
INSERT INTO coverage AS c (source, day, status, detail, runs, last_run_id, discovered, fetched, blocked, failed,
                           archived, extracted, extract_errors, expected, loaded, duplicates, fallback_extractions,
                           updated_at)
SELECT source, day, status, detail, runs, last_run_id, discovered, fetched, blocked, failed, archived, extracted,
       extract_errors, expected, loaded, duplicates, fallback, now()
FROM ledger
ON CONFLICT (source, day) DO UPDATE SET
    status = EXCLUDED.status, detail = EXCLUDED.detail, runs = EXCLUDED.runs, last_run_id = EXCLUDED.last_run_id,
    discovered = EXCLUDED.discovered, fetched = EXCLUDED.fetched, blocked = EXCLUDED.blocked,
    failed = EXCLUDED.failed, archived = EXCLUDED.archived, extracted = EXCLUDED.extracted,
    extract_errors = EXCLUDED.extract_errors, expected = EXCLUDED.expected, loaded = EXCLUDED.loaded,
    duplicates = EXCLUDED.duplicates, fallback_extractions = EXCLUDED.fallback_extractions, updated_at = now()
"""

_RUN_DAYS = "SELECT min(partition_date), max(partition_date) FROM crawl_runs WHERE source = %s"
_ALL_RUN_DAYS = "SELECT min(partition_date), max(partition_date) FROM crawl_runs WHERE source = ANY(%s)"

_SELECT = """
SELECT source, day, status, detail, runs, discovered, fetched, blocked, failed, archived, extracted,
       extract_errors, expected, loaded, duplicates, fallback_extractions, health, health_message
FROM coverage
WHERE (%(source)s::text IS NULL OR source = %(source)s)
  AND (%(since)s::date IS NULL OR day >= %(since)s) AND (%(until)s::date IS NULL OR day <= %(until)s)
ORDER BY source, day
"""


@dataclass(frozen=True)
class DayCoverage:
    """One ledger row."""

    source: str
    day: date
    status: str
    detail: str | None
    runs: int
    discovered: int
    fetched: int
    blocked: int
    failed: int
    archived: int
    extracted: int
    extract_errors: int
    expected: int
    loaded: int
    duplicates: int
    fallback_extractions: int
    health: str
    health_message: str | None


def refresh(database_url: str, sources: Sequence[str], start: date | None = None, end: date | None = None) -> None:
    """Recompute the ledger rows of `sources` over [start, end] (default: the days they have runs for).

    With explicit bounds, days without any run get a `never-run` row; without them only run days are touched.
    """
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        for source in sources:
            lo, hi = start, end
            if lo is None or hi is None:
                cur.execute(_RUN_DAYS, (source,))
                first, last = cur.fetchone()
                if first is None:
                    continue
                lo, hi = lo or first, hi or last
            if hi < lo:
                continue
            cur.execute(_REFRESH, {"source": source, "start": lo, "end": hi, "done": runs.DONE,
                                   "open": list(runs.STATUSES[:-1]), "crawling": runs.STATUSES[0],
                                   "with_never_run": start is not None and end is not None})


def run_days(database_url: str, sources: Sequence[str]) -> tuple[date, date] | None:
    """The first and last day that any of `sources` has a crawl run for (None: no run at all)."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(_ALL_RUN_DAYS, (list(sources),))
        first, last = cur.fetchone()
    return None if first is None else (first, last)


def bounded(database_url: str, sources: Sequence[str], since: date | None,
            until: date | None) -> tuple[date, date] | None:
    """[since, until] cut to the first and last day `sources` have runs for (None: no such day).

    Never-run days are worth listing between runs; not every day from --since up to today.
    """
    days = run_days(database_url, sources)
    if days is None:
        return None
    first, last = max(since or days[0], days[0]), min(until or days[1], days[1])
    return (first, last) if first <= last else None


def refresh_day(database_url: str, source: str, day: date) -> None:
    """Recompute one (source, day) row."""
    refresh(database_url, [source], day, day)


_LINKED_DAYS = """
SELECT source, partition_date FROM crawl_runs WHERE id = %(run)s
UNION
SELECT r.source, r.partition_date
FROM articles o JOIN articles a ON a.duplicate_of = o.id JOIN crawl_runs r ON r.id = a.crawl_run_id
WHERE o.crawl_run_id = %(run)s"""


def refresh_linked(database_url: str, run_id: int) -> None:
    """Recompute the row of a run's day and of every day holding a duplicate of one of its articles: a day that
    finished before an earlier copy of its articles arrived counts them as duplicates from then on."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(_LINKED_DAYS, {"run": run_id})
        days = cur.fetchall()
    for source, day in days:
        refresh_day(database_url, source, day)


def rows(database_url: str, source: str | None = None, since: date | None = None,
         until: date | None = None) -> list[DayCoverage]:
    """Ledger rows, oldest first per source."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(_SELECT, {"source": source, "since": since, "until": until})
        return [DayCoverage(*row) for row in cur.fetchall()]


def incomplete_days(database_url: str, source: str, start: date, end: date) -> list[date]:
    """Days of [start, end] whose ledger status is not `complete` (after refreshing them)."""
    refresh(database_url, [source], start, end)
    return [row.day for row in rows(database_url, source, start, end) if row.status != "complete"]


def as_table(items: Sequence[DayCoverage]) -> list[str]:
    """Plain-text table lines for the CLI."""
    header = ("source", "day", "status", "disc", "fetch", "block", "fail", "arch", "extr", "loaded", "dups",
              "fallbk", "health")
    widths = (12, 10, 9, 5, 5, 5, 5, 5, 5, 7, 5, 6, 9)
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    for r in items:
        values: tuple[Any, ...] = (r.source, r.day.isoformat(), r.status, r.discovered, r.fetched, r.blocked,
                                   r.failed, r.archived, r.extracted, f"{r.loaded}/{r.expected}", r.duplicates,
                                   r.fallback_extractions, r.health)
        line = "  ".join(str(v).ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()
        notes = [n for n in (r.detail, r.health_message if r.health == "unhealthy" else None) if n]
        lines.append(line + (f"  # {'; '.join(notes)}" if notes else ""))
    return lines
