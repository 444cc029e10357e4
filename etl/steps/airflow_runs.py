"""Runs of the daily DAG for chosen local days, created through Airflow 3's own `airflow backfill create`.

A run archives the local day of its data interval start (etl.steps.tasks.local_day). The backfill window is
given to Airflow as explicit timestamps with the offset of NEWSARCHIVE_TIMEZONE, from the first instant of
the first day to the last second of the last one, so the DAG's own timetable picks exactly the runs whose
interval starts on those days, whatever the time zone of the shell or Airflow's `default_timezone`. (A bare
`--to-date 2026-01-02` means midnight and misses that day's 03:00 run.)

Reads: NEWSARCHIVE_TIMEZONE (through the Settings it is given). The `airflow` command it starts reads
Airflow's own configuration (AIRFLOW_HOME, AIRFLOW__*) from the environment it is handed.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from etl.core.errors import PipelineError, UserError
from etl.steps.tasks import DAILY_DAG_ID, local_day

log = logging.getLogger(__name__)

FINISHED = ("success", "failed")
BACKFILL_SETTLE_SECONDS = 75
_PLANNED_RE = re.compile(r"^\|\s*(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d:\d\d)\s*\|", re.MULTILINE)


@dataclass(frozen=True)
class DayRun:
    """One DAG run and the local day it archives."""

    day: date
    logical_date: datetime
    run_id: str = ""
    state: str = ""


def day_window(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of local day `first` and the last second of local day `last`, in `tz`."""
    if last < first:
        raise UserError(f"--to {last} is before --day {first}")
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz) - timedelta(seconds=1)
    return start, end


def backfill_args(first: date, last: date, tz: ZoneInfo, *, reprocess: bool = False, dry_run: bool = False,
                  max_active_runs: int = 2) -> list[str]:
    """`airflow backfill create` arguments for the runs of the local days first..last (explicit timestamps)."""
    start, end = day_window(first, last, tz)
    args = ["backfill", "create", "--dag-id", DAILY_DAG_ID, "--from-date", start.isoformat(),
            "--to-date", end.isoformat(), "--max-active-runs", str(max_active_runs),
            "--reprocess-behavior", "completed" if reprocess else "failed"]
    return [*args, "--dry-run"] if dry_run else args


def airflow(args: list[str], env: Mapping[str, str] | None = None, *,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the `airflow` CLI of this Python environment (env None: this process's); one-line error on failure."""
    command = [str(Path(sys.executable).parent / "airflow"), *args]
    try:
        result = subprocess.run(command, env=None if env is None else dict(env), text=True, capture_output=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PipelineError(f"`airflow {' '.join(args)}` did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise PipelineError(f"`airflow {' '.join(args)}` failed (exit {result.returncode}):\n" + "\n".join(tail))
    return result


def planned_runs(first: date, last: date, tz: ZoneInfo, env: Mapping[str, str] | None = None, *,
                 reprocess: bool = False) -> list[DayRun]:
    """The runs Airflow's backfill would create (or clear and re-run) for the local days first..last (its dry run).

    Days whose run exists are left out, unless it failed or `reprocess` asks for finished days too.
    """
    out = airflow(backfill_args(first, last, tz, reprocess=reprocess, dry_run=True), env).stdout
    dates = [datetime.fromisoformat(text) for text in _PLANNED_RE.findall(out)]
    return [DayRun(local_day(logical, tz), logical) for logical in dates]


def create_runs(first: date, last: date, tz: ZoneInfo, env: Mapping[str, str] | None = None, *,
                reprocess: bool = False, max_active_runs: int = 2) -> list[DayRun]:
    """Create the backfill of the local days first..last; return its runs (logical date, run id, state)."""
    planned = planned_runs(first, last, tz, env, reprocess=reprocess)
    if not planned:
        raise UserError(f"no {DAILY_DAG_ID} run to create for {first}..{last}: every day has a run already "
                        "(--reprocess runs finished days again), or has not ended yet")
    args = backfill_args(first, last, tz, reprocess=reprocess, max_active_runs=max_active_runs)
    # One backfill per DAG at a time, and the scheduler marks a finished one complete only every 30 s.
    deadline = time.monotonic() + BACKFILL_SETTLE_SECONDS
    while True:
        try:
            airflow(args, env)
            return runs_of(planned, env)
        except PipelineError as exc:
            if "database is locked" in str(exc) and time.monotonic() <= deadline:
                log.info("Airflow's metadata database is busy (the scheduler is writing); trying again")
            elif "Another backfill is running" not in str(exc):
                raise
            elif time.monotonic() > deadline:
                raise UserError(f"another backfill of {DAILY_DAG_ID} is still running; wait until its runs end "
                                "(or cancel it in the UI), then run this again") from None
        time.sleep(5)


def runs_of(planned: list[DayRun], env: Mapping[str, str] | None = None) -> list[DayRun]:
    """The current run id and state of each planned run (matched on the logical date)."""
    start, end = min(p.logical_date for p in planned), max(p.logical_date for p in planned)
    out = airflow(["dags", "list-runs", DAILY_DAG_ID, "--start-date", start.isoformat(), "--end-date",
                   end.isoformat(), "-o", "json"], env).stdout
    listing = [line for line in out.splitlines() if line.startswith("[")]  # Airflow's warnings go to stdout too
    try:
        rows = json.loads(listing[-1]) if listing else []
    except json.JSONDecodeError:
        raise PipelineError(f"cannot read the run list of `airflow dags list-runs`: {listing[-1][:200]}") from None
    by_date = {datetime.fromisoformat(row["logical_date"]): row for row in rows if row.get("logical_date")}
    found = []
    for run in planned:
        row = by_date.get(run.logical_date, {})
        found.append(DayRun(run.day, run.logical_date, row.get("run_id", ""), str(row.get("state", ""))))
    return found


def wait_for_runs(planned: list[DayRun], env: Mapping[str, str] | None = None, *, timeout: float | None = None,
                  interval: float = 10) -> list[DayRun]:
    """Poll Airflow until every planned run has finished (success or failed); fail after `timeout` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        runs = runs_of(planned, env)
        if all(run.state in FINISHED for run in runs):
            return runs
        if deadline is not None and time.monotonic() > deadline:
            waiting = ", ".join(f"{run.day} ({run.state or 'not created'})" for run in runs
                                if run.state not in FINISHED)
            raise PipelineError(f"{DAILY_DAG_ID} runs not finished within {timeout:.0f} s: {waiting} "
                                "(is the scheduler running and the DAG unpaused?)")
        time.sleep(interval)
