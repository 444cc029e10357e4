"""The `crawl_runs` and `raw_archives` tables: create a run, move it through its statuses, record archives.

Reads DATABASE_URL (passed in). Values always travel as query parameters. A run's `status` is the last step it
finished (STATUSES, in pipeline order, see etl/steps/plan.py); a step that fails keeps that status and records
its `error`, so the next attempt resumes there. Only a crawl that failed (`failed`) or was interrupted
(`interrupted`: a signal, or its process died) ends a run: a new run crawls again.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from etl.store.db import raw_connection

log = logging.getLogger(__name__)

#: A run's statuses in the order its steps reach them (migration 0008): `stored` = its articles are upserted,
#: `loaded` = they are also in the near-duplicate index and linked, the run is finished.
STATUSES = ("crawling", "crawled", "archived", "extracted", "stored", "loaded")
STORED, DONE = STATUSES[-2:]
FAILED = "failed"  # a crawl that failed: nothing of it can be resumed
INTERRUPTED = "interrupted"  # a crawl stopped by a signal or by the death of its process (migration 0014)
ENDED = (FAILED, INTERRUPTED)  # runs whose crawl did not finish: the day needs a new run
COUNT_COLUMNS = (
    "discovered", "fetched", "skipped_known", "blocked", "failed", "non_article", "extracted",
    "extract_errors", "fallback_used", "loaded_new", "loaded_updated", "unchanged", "duplicates",
)


@dataclass(frozen=True)
class Run:
    """A crawl run as stored."""

    id: int
    run_key: str
    source: str
    partition_date: date
    interval_start: datetime
    interval_end: datetime
    status: str
    refetch: bool
    counts: dict[str, Any]


def new_run_key(source: str, day: date) -> str:
    """A unique, sortable key for one crawl attempt: `<source>-<YYYYMMDD>-<UTC start>-<random>`."""
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{source}-{day:%Y%m%d}-{started}-{secrets.token_hex(3)}"


def create_run(database_url: str, source: str, day: date, start: datetime, end: datetime, *,
               refetch: bool, trigger: str, airflow_run_id: str | None = None) -> Run:
    """Insert a run in state `crawling` and return it."""
    run_key = new_run_key(source, day)
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO crawl_runs (run_key, source, partition_date, interval_start, interval_end, refetch,
                                       trigger, airflow_run_id)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (run_key, source, day, start, end, refetch, trigger, airflow_run_id),
        )
        row = cur.fetchone()
    assert row is not None
    log.info("crawl run %s (id %s) for %s %s", run_key, row[0], source, day)
    return get_run(database_url, int(row[0]))


def get_run(database_url: str, run_id: int) -> Run:
    """Load a run by id."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            """SELECT id, run_key, source, partition_date, interval_start, interval_end, status, refetch, counts
               FROM crawl_runs WHERE id = %s""",
            (run_id,),
        )
        row = cur.fetchone()
    if row is None:
        raise LookupError(f"no crawl run with id {run_id}")
    return Run(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]), dict(row[8] or {}))


def update_run(database_url: str, run_id: int, *, status: str | None = None, error: str | None = None,
               counts: dict[str, Any] | None = None, finished: bool = False) -> None:
    """Set a run's status, error, count columns (known names) and merge extra counts into `counts` jsonb."""
    counts = dict(counts or {})
    columns = {name: int(counts[name]) for name in COUNT_COLUMNS if name in counts}
    assignments = [f"{name} = %s" for name in columns]  # names come from COUNT_COLUMNS, never from input
    params: list[Any] = list(columns.values())
    if status is not None:
        assignments.append("status = %s")
        params.append(status)
    if error is not None or status not in (None, *ENDED):
        assignments.append("error = %s")
        params.append(error)
    if finished:
        assignments.append("finished_at = now()")
    assignments.append("counts = counts || %s::jsonb")
    params.append(json.dumps(counts, sort_keys=True, default=str))
    params.append(run_id)
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(f"UPDATE crawl_runs SET {', '.join(assignments)} WHERE id = %s", params)


def fail_run(database_url: str, run_id: int, message: str, *, dead: bool = False, interrupted: bool = False) -> None:
    """Record a step's error (a `dead` run becomes `failed`, or `interrupted`); best effort: the original error
    is what matters."""
    status = (INTERRUPTED if interrupted else FAILED) if dead else None
    try:
        update_run(database_url, run_id, status=status, error=message[:2000], finished=True)
    except Exception as exc:
        log.warning("could not record the failure of crawl run %s: %s", run_id, str(exc).strip().splitlines()[0])


def record_archive(database_url: str, run_id: int, warc_key: str, manifest_key: str, sha256: str, size: int,
                   record_count: int, response_count: int) -> None:
    """Insert the run's `raw_archives` row (idempotent)."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO raw_archives (crawl_run_id, s3_key, manifest_key, sha256, size_bytes, record_count,
                                         response_count)
               VALUES (%s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (crawl_run_id) DO NOTHING""",
            (run_id, warc_key, manifest_key, sha256, size, record_count, response_count),
        )


def archive_of(database_url: str, run_id: int) -> tuple[str, str, str, int] | None:
    """The run's (warc key, manifest key, sha256, size), or None when it was not archived."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT s3_key, manifest_key, sha256, size_bytes FROM raw_archives WHERE crawl_run_id = %s", (run_id,)
        )
        row = cur.fetchone()
    return (row[0], row[1], row[2].strip(), int(row[3])) if row else None


def known_article_ids(database_url: str, source: str) -> list[str]:
    """Article ids of a source that are already loaded (the spider skips them unless refetching)."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT article_id FROM articles WHERE source = %s ORDER BY article_id", (source,))
        return [row[0] for row in cur.fetchall()]


def interrupt_stale_crawls(database_url: str, source: str, day: date) -> list[int]:
    """Mark the day's runs still `crawling` as `interrupted` (call it holding the day's lock: their process is
    gone); return their ids."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            """UPDATE crawl_runs SET status = %s, finished_at = now(),
                      error = coalesce(error, 'crawl interrupted: its process stopped; the day is crawled again')
               WHERE source = %s AND partition_date = %s AND status = %s RETURNING id""",
            (INTERRUPTED, source, day, STATUSES[0]),
        )
        stale = [int(row[0]) for row in cur.fetchall()]
    if stale:
        log.warning("%s %s: crawl run(s) %s had stopped without finishing; marked interrupted", source, day,
                    ", ".join(map(str, stale)))
    return stale


def unfinished_run(database_url: str, source: str, day: date) -> Run | None:
    """The latest run of the source and day that stopped between steps after its crawl (None if there is none)."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT max(id) FROM crawl_runs WHERE source = %s AND partition_date = %s AND status = ANY(%s)",
                    (source, day, list(STATUSES[1:-1])))
        row = cur.fetchone()
    return get_run(database_url, int(row[0])) if row and row[0] is not None else None
