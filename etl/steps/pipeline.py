"""Runs the steps of etl/steps/plan.py: one step of one run (`run_step`), the rest of a run (`resume`), a day.

Airflow tasks, `newsarchive ingest` and `backfill` call exactly these. Steps hand each other a run id only;
everything else is in PostgreSQL (`crawl_runs`, `raw_archives`) and S3 (raw WARC, manifest, staged articles),
so each step can run on a different worker and be retried on its own. Whatever makes a step fail (S3, the
database going away, a parser) is recorded on the run and raised as a one-line PipelineError.
Reads (through Settings): DATABASE_URL, NEWSARCHIVE_TIMEZONE (the local day) and what each step reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from etl.core.config import Settings
from etl.core.errors import PipelineError, UserError
from etl.sources import get_source
from etl.steps import plan
from etl.steps.crawl import day_interval
from etl.store import runs

log = logging.getLogger(__name__)
Before = Callable[[plan.Step], None]
After = Callable[[plan.Step, dict[str, Any]], None]


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an error's message (its type name when it has none)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


@contextmanager
def _failing_as(doing: str) -> Iterator[None]:
    """Any error but a user's mistake becomes a one-line PipelineError that says what was being done."""
    try:
        yield
    except UserError:
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
    run = _read_run(settings, run_id, step.name)
    where = f"{step.name} of {run.source} {run.partition_date} (run {run.run_key})"
    if run.status == runs.FAILED:
        raise PipelineError(f"{where}: the run's crawl failed; start a new run")
    if step.done_at(run.status):
        log.info("%s: already done (status %s)", where, run.status)
        return {"run_id": run.id, "status": run.status, "skipped": True}
    if not step.ready_at(run.status):
        raise PipelineError(f"{where}: the run is {run.status}, the step needs {step.needs}; "
                            "run the steps before it first")
    try:
        out = step.function(settings, run.id)
        if step.leaves:
            runs.update_run(settings.require_database_url(), run.id, status=step.leaves,
                            finished=step.leaves == runs.DONE)
    except UserError:
        raise
    except Exception as exc:
        log.error("%s failed: %s", where, exc)
        runs.fail_run(settings.require_database_url(), run.id, f"{step.name}: {exc}", dead=step is plan.STEPS[0])
        raise PipelineError(f"{where} failed: {first_line(exc)}") from exc
    return out


def crawl(settings: Settings, source_name: str, day: date, *, refetch: bool = False, trigger: str = "cli",
          airflow_run_id: str | None = None) -> int:
    """Create a run for one source and local day and run its crawl step; return the run id."""
    source = get_source(source_name)
    start, end = day_interval(day, settings.timezone)
    with _failing_as(f"crawl of {source.name} {day}: cannot create the run"):
        run = runs.create_run(settings.require_database_url(), source.name, day, start, end, refetch=refetch,
                              trigger=trigger, airflow_run_id=airflow_run_id)
    run_step(settings, plan.STEPS[0], run.id)
    return run.id


def resume(settings: Settings, run_id: int, *, before: Before | None = None,
           after: After | None = None) -> dict[str, dict[str, Any]]:
    """Run every step the run has not passed yet, in plan order; return each step's result by name."""
    results: dict[str, dict[str, Any]] = {}
    for step in plan.remaining(_read_run(settings, run_id, "resume").status):
        if before:
            before(step)
        results[step.name] = run_step(settings, step, run_id)
        if after:
            after(step, results[step.name])
    return results


def ingest_day(settings: Settings, source_name: str, day: date, *, refetch: bool = False,
               trigger: str = "cli") -> dict[str, Any]:
    """Run every step for one source and day in this process (what the DAG does per source); return the summary."""
    results = resume(settings, crawl(settings, source_name, day, refetch=refetch, trigger=trigger))
    verdict = results["health"]
    return {**results["summary"], "health": verdict["health"],
            **({} if verdict["healthy"] else {"health_message": verdict["message"]})}
