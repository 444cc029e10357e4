"""Runs the steps of etl/steps/plan.py: one step of one run (`run_step`), the rest of a run (`resume`), a day.

Airflow tasks, `newsarchive ingest` and `backfill` call exactly these. Steps hand each other a run id only;
everything else is in PostgreSQL (`crawl_runs`, `raw_archives`) and S3 (raw WARC, manifest, staged articles),
so each step can run on a different worker and be retried on its own. Whatever makes a step fail (S3, the
database going away, a parser) is recorded on the run and raised as a one-line PipelineError; a signal
(SIGINT, or SIGTERM inside `interruptible`) is recorded too (a crawl becomes `interrupted`) and re-raised.
Locks (etl/store/locks.py): a source's day is crawled (and, by `ingest`/`backfill`, finished) by one process at
a time, and each step of a run by one process at a time; a second one fails at once with one line.
etl/steps/parallel.py brings several sources' day through in one process (`ingest_sources`).
Reads (through Settings): DATABASE_URL, NEWSARCHIVE_TIMEZONE (the local day) and what each step reads.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from datetime import date, datetime
from types import FrameType
from typing import Any

from etl.core.config import Settings
from etl.core.errors import PipelineError, UserError
from etl.sources import get_source
from etl.steps import plan
from etl.steps.crawl import day_interval
from etl.store import locks, runs

log = logging.getLogger(__name__)
Before = Callable[[plan.Step], None]
After = Callable[[plan.Step, int, dict[str, Any]], None]  # step, run id, its result


class Interrupted(KeyboardInterrupt):
    """SIGTERM turned into an exception (like SIGINT's KeyboardInterrupt), so that cleanup code runs."""


@contextmanager
def interruptible() -> Iterator[None]:
    """While the block runs, SIGTERM raises Interrupted in the main thread (the crawl child is stopped, the run
    records the interruption); outside the main thread (an Airflow worker's own handling) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupted(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an error's message (its type name when it has none)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


@contextmanager
def _failing_as(doing: str) -> Iterator[None]:
    """Any error but a user's mistake becomes a one-line PipelineError that says what was being done."""
    try:
        yield
    except (UserError, PipelineError):
        raise
    except Exception as exc:
        raise PipelineError(f"{doing}: {first_line(exc)}") from exc


def _read_run(settings: Settings, run_id: int, doing: str) -> runs.Run:
    with _failing_as(f"{doing}: cannot read crawl run {run_id}"):
        run = runs.get_run(settings.require_database_url(), run_id)
    return run


def run_step(settings: Settings, step: plan.Step | str, run_id: int) -> dict[str, Any]:
    """Run one step of a run if its status allows it (a step the run has passed returns `skipped`)."""
    step = plan.get(step) if isinstance(step, str) else step
    with ExitStack() as stack:
        with _failing_as(f"{step.name} of run {run_id}: cannot lock the run"):
            stack.enter_context(locks.held(settings.require_database_url(), locks.run_lock(run_id),
                                           f"{step.name} of crawl run {run_id}"))
        return _run_step_locked(settings, step, run_id)


def _run_step_locked(settings: Settings, step: plan.Step, run_id: int) -> dict[str, Any]:
    run = _read_run(settings, run_id, step.name)
    where = f"{step.name} of {run.source} {run.partition_date} (run {run.run_key})"
    if run.status in runs.ENDED:
        ended = "failed" if run.status == runs.FAILED else "was interrupted"
        raise PipelineError(f"{where}: the run's crawl {ended}; start a new run")
    if step.done_at(run.status):
        log.info("%s: already done (status %s)", where, run.status)
        return {"run_id": run.id, "status": run.status, "skipped": True}
    if not step.ready_at(run.status):
        raise PipelineError(f"{where}: the run is {run.status}, the step needs {step.needs}; "
                            "run the steps before it first")
    crawling = step is plan.STEPS[0]
    try:
        out = step.function(settings, run.id)
        if step.leaves:
            runs.update_run(settings.require_database_url(), run.id, status=step.leaves,
                            finished=step.leaves == runs.DONE)
    except UserError:
        raise
    except KeyboardInterrupt as exc:
        why = str(exc) or "SIGINT"
        log.error("%s interrupted (%s)", where, why)
        runs.fail_run(settings.require_database_url(), run.id, f"{step.name}: interrupted by {why}",
                      dead=crawling, interrupted=True)
        raise
    except Exception as exc:
        log.error("%s failed: %s", where, first_line(exc))
        runs.fail_run(settings.require_database_url(), run.id, f"{step.name}: {exc}", dead=crawling)
        raise PipelineError(f"{where} failed: {first_line(exc)}") from exc
    return out


def _hold_day(stack: ExitStack, settings: Settings, source: str, day: date) -> None:
    """Hold the lock of one source's day until `stack` closes (PipelineError at once when another process
    holds it; UserError for an unknown source)."""
    get_source(source)
    with _failing_as(f"{source} {day}: cannot lock the day"):
        stack.enter_context(locks.held(settings.require_database_url(), locks.day_lock(source, day),
                                       f"{source} {day}"))


def _new_crawl(settings: Settings, source_name: str, day: date, *, refetch: bool, trigger: str,
               airflow_run_id: str | None) -> int:
    """Under the day's lock: mark the day's stale crawls interrupted, create a run and run its crawl step."""
    source = get_source(source_name)
    start, end = day_interval(day, settings.timezone)
    with _failing_as(f"crawl of {source.name} {day}: cannot create the run"):
        runs.interrupt_stale_crawls(settings.require_database_url(), source.name, day)
        run = runs.create_run(settings.require_database_url(), source.name, day, start, end, refetch=refetch,
                              trigger=trigger, airflow_run_id=airflow_run_id)
    run_step(settings, plan.STEPS[0], run.id)
    return run.id


def crawl(settings: Settings, source_name: str, day: date, *, refetch: bool = False, trigger: str = "cli",
          airflow_run_id: str | None = None) -> int:
    """Create a run for one source and local day and run its crawl step (holding the day's lock); return its id."""
    with ExitStack() as stack:
        _hold_day(stack, settings, source_name, day)
        return _new_crawl(settings, source_name, day, refetch=refetch, trigger=trigger,
                          airflow_run_id=airflow_run_id)


def resume(settings: Settings, run_id: int, *, before: Before | None = None,
           after: After | None = None) -> dict[str, dict[str, Any]]:
    """Run every step the run has not passed yet, in plan order; return each step's result by name."""
    results: dict[str, dict[str, Any]] = {}
    status = _read_run(settings, run_id, "resume").status
    for step in plan.remaining(status) if status not in runs.ENDED else plan.STEPS:
        if before:
            before(step)
        results[step.name] = run_step(settings, step, run_id)
        if after:
            after(step, run_id, results[step.name])
    return results


def finish_day(settings: Settings, source_name: str, day: date, *, refetch: bool = False, trigger: str = "cli",
               run_id: int | None = None, crawling: Callable[[], AbstractContextManager[Any]] | None = None,
               before: Before | None = None, after: After | None = None) -> tuple[int, dict[str, dict[str, Any]]]:
    """Bring one source's day through every step, holding its lock: resume run `run_id`, else the day's latest
    run that stopped between steps (unless refetching), else crawl a new one (inside `crawling()`).
    Returns (run id, each step's result by name)."""
    with ExitStack() as stack:
        _hold_day(stack, settings, source_name, day)
        url = settings.require_database_url()
        with _failing_as(f"{source_name} {day}: cannot read its runs"):
            run = runs.get_run(url, run_id) if run_id is not None else None
            if run is None and not refetch:
                run = runs.unfinished_run(url, source_name, day)
        if run is None or run.status in (*runs.ENDED, runs.STATUSES[0]):
            if before:
                before(plan.STEPS[0])
            with crawling() if crawling else nullcontext():
                new_id = _new_crawl(settings, source_name, day, refetch=refetch, trigger=trigger,
                                    airflow_run_id=None)
            if after:
                after(plan.STEPS[0], new_id, {"run_id": new_id})
        else:
            new_id = run.id
            log.info("%s %s: resuming crawl run %s from status %s", source_name, day, run.run_key, run.status)
        return new_id, resume(settings, new_id, before=before, after=after)


def ingest_day(settings: Settings, source_name: str, day: date, *, refetch: bool = False,
               trigger: str = "cli", today: date | None = None, before: Before | None = None) -> dict[str, Any]:
    """Run every step for one source and day in this process (an unfinished run of the day is resumed, not
    crawled again); SIGTERM interrupts it cleanly. `before(step)` runs before each step. Returns the summary."""
    today = today or datetime.now(settings.timezone).date()
    if day > today:
        raise UserError(f"{day} has not begun yet (today is {today} in {settings.timezone.key}); "
                        "ingest past days or today")
    with interruptible():
        run_id, results = finish_day(settings, source_name, day, refetch=refetch, trigger=trigger, before=before)
    verdict = results["health"]
    return {**results["summary"], "run_id": run_id, "health": verdict["health"],
            **({} if verdict["healthy"] else {"health_message": verdict["message"]})}
