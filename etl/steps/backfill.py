"""Backfill a date range of one source without a scheduler: every step of etl/steps/plan.py per day, resumable.

Reads (through Settings): DATABASE_URL, the S3 settings, NEWSARCHIVE_STATE_DIR, NEWSARCHIVE_BULK_LOAD_DAYS (a range
with that many days left loads in bulk mode: etl/store/bulk.py) and everything the pipeline
steps read. The job and its days live in `backfill_jobs` / `backfill_days`: running the same request again
resumes the open job, skips the days it finished and continues an interrupted day along the plan from the
status its run reached (a crawled run is archived, a loaded one linked to its near-duplicates, ...), so nothing
is fetched or archived twice. A day without a run of this job adopts the latest run of that source and day
that stopped between steps (unless refetching). Only one process works on a job at a time, and each day is
worked on under its day lock (etl/store/locks.py), so overlapping backfills, ingests and DAG runs never crawl
the same day at once: a day another process holds is recorded as failed and retried by the next run. SIGTERM
and SIGINT stop the crawl child and leave the day to be resumed. A failing day is recorded and the next day runs;
the job stays open until every day is done, so running it again retries the failed days only. Every day's crawl
goes to one long-lived crawl process (scrapers.run.crawl_session; the caller's session when it has one), and
every other step runs in this process: Scrapy, the parsers and the language detector are loaded once per
backfill, not once per day.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TextIO

import psycopg2
import sqlalchemy.exc

from etl.core.config import Settings
from etl.core.errors import PipelineError, UserError
from etl.sources import get_source
from etl.steps import parallel, pipeline, plan
from etl.steps.progress import ArticleWatcher, DayProgress
from etl.store import bulk, coverage, locks
from etl.store.db import raw_connection
from scrapers.run import crawl_session

log = logging.getLogger(__name__)

_DATABASE_DOWN = (psycopg2.OperationalError, psycopg2.InterfaceError, sqlalchemy.exc.OperationalError)
StepHook = Callable[[date, str, int], None]


@dataclass(frozen=True)
class BackfillRequest:
    """What `newsarchive backfill` was asked to do."""

    source: str
    start: date
    end: date
    only_gaps: bool = False
    refetch: bool = False

    def days(self) -> list[date]:
        """Every day of [start, end]."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass
class BackfillResult:
    """What one invocation did."""

    job_id: int
    resumed: bool
    done: list[date] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    failed: dict[date, str] = field(default_factory=dict)
    unhealthy: dict[date, str] = field(default_factory=dict)
    seconds: dict[date, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "job_id": self.job_id, "resumed": self.resumed, "done": [d.isoformat() for d in self.done],
            "skipped": [d.isoformat() for d in self.skipped],
            "failed": {d.isoformat(): m for d, m in self.failed.items()},
            "unhealthy": {d.isoformat(): m for d, m in self.unhealthy.items()},
            "seconds": {d.isoformat(): round(s, 2) for d, s in self.seconds.items()},
        }


def validate(request: BackfillRequest, today: date) -> None:
    """Refuse ranges that cannot be backfilled (end before start, days that have not ended)."""
    get_source(request.source)
    if request.end < request.start:
        raise UserError(f"--end {request.end} is before --start {request.start}")
    if request.end >= today:
        raise UserError(f"--end {request.end} has not ended yet (today is {today}); backfill past days only")


def open_job(database_url: str, request: BackfillRequest) -> tuple[int, bool]:
    """Return (job id, resumed): the open job with the same arguments, or a new one with its day list."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            """SELECT id FROM backfill_jobs WHERE source = %s AND start_day = %s AND end_day = %s
                      AND only_gaps = %s AND refetch = %s AND status = 'open'""",
            (request.source, request.start, request.end, request.only_gaps, request.refetch),
        )
        row = cur.fetchone()
        if row is not None:
            return int(row[0]), True
    gaps = set(coverage.incomplete_days(database_url, request.source, request.start, request.end)) \
        if request.only_gaps else None
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            """INSERT INTO backfill_jobs (source, start_day, end_day, only_gaps, refetch)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (source, start_day, end_day, only_gaps, refetch) WHERE status = 'open' DO NOTHING
               RETURNING id""",
            (request.source, request.start, request.end, request.only_gaps, request.refetch),
        )
        row = cur.fetchone()
        if row is None:
            raise UserError("another process created the same backfill job just now; run the command again")
        job_id = int(row[0])
        for day in request.days():
            status = "skipped" if gaps is not None and day not in gaps else "pending"
            cur.execute("INSERT INTO backfill_days (job_id, day, status) VALUES (%s, %s, %s)", (job_id, day, status))
    return job_id, False


def _job_days(database_url: str, job_id: int) -> list[tuple[date, str, int | None]]:
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT day, status, crawl_run_id FROM backfill_days WHERE job_id = %s ORDER BY day", (job_id,))
        return [(row[0], row[1], row[2]) for row in cur.fetchall()]


def _set_day(database_url: str, job_id: int, day: date, **values: Any) -> None:
    names = [name for name in ("status", "crawl_run_id", "error", "seconds") if name in values]
    assignments = ", ".join(f"{name} = %s" for name in names)  # names from the fixed tuple above
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(f"UPDATE backfill_days SET {assignments}, updated_at = now() WHERE job_id = %s AND day = %s",
                    [values[n] for n in names] + [job_id, day])


class _Job:
    """One invocation working on one job (holds the job's lock)."""

    def __init__(self, settings: Settings, request: BackfillRequest, job_id: int, progress: DayProgress | None,
                 on_step: StepHook | None, cancel: threading.Event) -> None:
        self.settings = settings
        self.url = settings.require_database_url()
        self.request = request
        self.job_id = job_id
        self.progress = progress
        self.on_step = on_step
        self.source = get_source(request.source)
        self.cancel = cancel

    def _step(self, name: str, articles: str = "") -> None:
        parallel.check(self.cancel)  # before every step: an interrupted command stops here
        if self.progress:
            self.progress.set_step(name, articles)

    def run_day(self, day: date, run_id: int | None) -> dict[str, dict[str, Any]]:
        """Bring one day from wherever its run stopped through every step (pipeline.finish_day, under the day's
        lock); return each step's result."""

        def crawling() -> AbstractContextManager[Any]:
            _set_day(self.url, self.job_id, day, status="running")
            return (ArticleWatcher(self.settings.state_dir / "work", self.source.is_article_url, self.progress,
                                   pattern=f"{self.source.name}-{day:%Y%m%d}-*/*.warc.gz.part")
                    if self.progress else nullcontext())

        def after(step: plan.Step, run: int, out: dict[str, Any]) -> None:
            if step is plan.STEPS[0]:
                _set_day(self.url, self.job_id, day, status="running", crawl_run_id=run)
            if "extract_errors" in out:
                self._step(step.name, f"{out['extracted']} extracted, {out['extract_errors']} not extractable")
            if self.on_step:
                self.on_step(day, step.name, run)

        run_id, results = pipeline.finish_day(
            self.settings, self.request.source, day, refetch=self.request.refetch, trigger="backfill",
            run_id=run_id, crawling=crawling, before=lambda step: self._step(step.name), after=after)
        _set_day(self.url, self.job_id, day, status="running", crawl_run_id=run_id)
        return results


def run(settings: Settings, request: BackfillRequest, *, stream: TextIO | None = None,
        on_step: StepHook | None = None, one_crawl_process: bool = True,
        cancel: threading.Event | None = None, shared_stream: bool = False) -> BackfillResult:
    """Run (or resume) the backfill; progress goes to `stream` (None: no progress output).

    `one_crawl_process=False`: a fresh `scrapy crawl` process per day, as before sessions (benchmarks compare).
    `cancel` set (by `run_sources` on a signal): stop before the next step, raising Interrupted.
    `shared_stream`: other backfills draw progress on `stream` at the same time (one line per change)."""
    try:
        with pipeline.interruptible(), crawl_session(settings) if one_crawl_process else nullcontext():
            return _run(settings, request, stream, on_step, cancel or threading.Event(), shared_stream)
    except _DATABASE_DOWN as exc:
        raise PipelineError(f"backfill of {request.source}: the database failed: {pipeline.first_line(exc)}; "
                            "run the same command again when it is back") from exc


def run_sources(settings: Settings, requests: list[BackfillRequest], *,
                stream: TextIO | None = None) -> dict[str, BackfillResult]:
    """`run` for every request (one per source) in one crawl process, sources sharing no host at the same time
    (up to settings.crawl_parallel, etl/steps/parallel.py): while one source crawls, the others archive,
    extract and load. Returns each source's result."""
    by_source = {request.source: request for request in requests}
    together = settings.crawl_parallel > 1 and len(parallel.host_groups(list(by_source))) > 1

    def work(name: str, cancel: threading.Event) -> BackfillResult:
        return run(settings, by_source[name], stream=stream, cancel=cancel, shared_stream=together)

    # Bulk mode once for every source (each job's own attempt then finds it held): the search indexes are built
    # again once, after the last source, not after the first while the others still load.
    longest = max((len(request.days()) for request in requests), default=0)
    with bulk.search_indexes_deferred(settings.require_database_url(),
                                      enabled=0 < settings.bulk_load_days <= longest):
        return parallel.per_source(settings, list(by_source), work)


def _run(settings: Settings, request: BackfillRequest, stream: TextIO | None,
         on_step: StepHook | None, cancel: threading.Event, shared_stream: bool) -> BackfillResult:
    url = settings.require_database_url()
    job_id, resumed = open_job(url, request)
    result = BackfillResult(job_id=job_id, resumed=resumed)
    with ExitStack() as stack:
        try:
            stack.enter_context(locks.held(url, f"backfill-job:{job_id}", f"backfill job {job_id}"))
        except locks.LockBusy as exc:
            raise UserError(f"{exc}; wait for it or stop it") from None
        days = _job_days(url, job_id)
        left = sum(1 for _, status, _ in days if status not in ("done", "skipped"))
        stack.enter_context(bulk.search_indexes_deferred(url, enabled=0 < settings.bulk_load_days <= left))
        progress = DayProgress(stream, len(days), f"backfill {request.source}") if stream else None
        if progress and shared_stream:
            progress.tty = False  # several bars on one terminal line would overwrite each other
        job = _Job(settings, request, job_id, progress, on_step, cancel)
        log.info("backfill job %s (%s) for %s %s..%s: %d days", job_id, "resumed" if resumed else "new",
                 request.source, request.start, request.end, len(days))
        with progress.routing_logs() if progress else nullcontext():
            for index, (day, status, run_id) in enumerate(days):
                parallel.check(cancel)
                if progress:
                    progress.start_day(index, day)
                if status in ("done", "skipped"):
                    (result.done if status == "done" else result.skipped).append(day)
                    if progress:
                        progress.finish_day(status if status == "skipped" else "done earlier")
                    continue
                began = time.monotonic()
                try:
                    results = job.run_day(day, run_id)
                except PipelineError as exc:
                    message = str(exc).splitlines()[0]
                    _set_day(url, job_id, day, status="failed", error=message[:2000])
                    result.failed[day] = message
                    log.error("backfill %s %s failed: %s", request.source, day, message)
                    if progress:
                        progress.finish_day(f"failed: {message[:120]}")
                    continue
                seconds = time.monotonic() - began
                _set_day(url, job_id, day, status="done", error=None, seconds=seconds)
                result.done.append(day)
                result.seconds[day] = seconds
                verdict = results["health"]
                if not verdict["healthy"]:
                    result.unhealthy[day] = verdict["message"]
                if progress:
                    new = results["summary"].get("loaded_new", 0)
                    progress.finish_day(f"done in {seconds:.1f} s: {new} new articles"
                                        + ("" if verdict["healthy"] else f" | UNHEALTHY {verdict['message']}"))
        earlier = set(result.done) - set(result.seconds)  # done by an earlier invocation: the ledger's verdict
        result.unhealthy.update({row.day: row.health_message or f"{row.source} {row.day} unhealthy"
                                 for row in coverage.rows(url, request.source, request.start, request.end)
                                 if row.day in earlier and row.health == "unhealthy"})
        if not result.failed:
            with raw_connection(url) as conn, conn.cursor() as cur:
                cur.execute("UPDATE backfill_jobs SET status = 'done', finished_at = now(), updated_at = now() "
                            "WHERE id = %s", (job_id,))
        else:
            with raw_connection(url) as conn, conn.cursor() as cur:
                cur.execute("UPDATE backfill_jobs SET updated_at = now() WHERE id = %s", (job_id,))
    return result


def problem_lines(results: dict[str, BackfillResult]) -> list[str]:
    """A count line, then one indented line per failed or unhealthy day of these backfills; [] if none."""
    failed = [f"  failed: {source} {day}: {message}" for source, result in results.items()
              for day, message in sorted(result.failed.items())]
    unhealthy = [f"  unhealthy: {message}" for result in results.values()
                 for _, message in sorted(result.unhealthy.items())]
    if not failed and not unhealthy:
        return []
    return [f"backfill: {len(failed)} failed day(s), {len(unhealthy)} unhealthy day(s)", *failed, *unhealthy]


def default_stream() -> TextIO:
    """Where the CLI draws progress: stderr."""
    return sys.stderr
