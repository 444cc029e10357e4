"""
### news_daily

Archives one local day of every enabled news source, once a day at 03:00 local time (NEWSARCHIVE_TIMEZONE,
default Asia/Almaty).

The day is the local date of the run's `data_interval_start` (never the clock), so a backfill over any past
range does the same work as the daily run did: `newsarchive airflow run --day 2025-12-31 --to 2026-01-02`
creates exactly the runs of those local days through Airflow's own backfill (explicit timestamps in the time
zone; a bare `--to-date 2026-01-02` is midnight and misses that day's run). Per source, a mapped task group runs the steps of `etl/steps/plan.py` in order, one task
each (listed below); the health task fails with a message naming the source and each field that dropped sharply
below the source's baseline (a layout change, a block, an empty feed).

The crawl task runs in the Airflow pool NEWSARCHIVE_CRAWL_POOL (default `news_sites`): its slots bound how many
crawls run at once across all runs, so a long backfill stays polite.

Tasks exchange only a run id (XCom); data lives in S3 and PostgreSQL, and each step records its status on the
run, so a retried task does only what is left. Each task retries (NEWSARCHIVE_TASK_RETRIES) with exponential
backoff, and one failing source never blocks the others. Settings come from the environment (`.env.example`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task, task_group

from etl.steps.plan import STEPS
from etl.steps.tasks import DAILY_DAG_ID, dag_settings, default_args, local_day

SETTINGS = dag_settings()
TZ = SETTINGS.timezone.key
#: How a mapped task of one source is named in the UI, e.g. `kazinform 2026-01-01`.
MAP_INDEX = "{{ source }} {{ day }}"


def run_step(step: str, source: str, crawl_run_id: int | None = None) -> Any:
    """One task: the crawl of `source` for the run's local day (returns the run id) or a later step of the run."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowFailException

    from etl.core.errors import UserError
    from etl.steps.tasks import run_task

    context = get_current_context()
    # The mapped task's name in the UI (MAP_INDEX): the source and the local day the run archives.
    context["source"] = source  # type: ignore[typeddict-unknown-key]
    interval_start = context["data_interval_start"]
    context["day"] = str(local_day(interval_start, SETTINGS.timezone)) if interval_start else ""  # type: ignore[typeddict-unknown-key]
    try:
        out = run_task(step, source, crawl_run_id, context["data_interval_start"], context["run_id"])
    except UserError as exc:  # a setting or an argument: retrying cannot help
        raise AirflowFailException(str(exc)) from None
    if isinstance(out, dict) and out.get("healthy") is False:
        raise AirflowFailException(out["message"])  # names the source and each field that dropped
    return out


@dag(
    dag_id=DAILY_DAG_ID,
    schedule=CronDataIntervalTimetable("0 3 * * *", timezone=TZ),
    start_date=pendulum.datetime(2025, 12, 1, tz=TZ),
    catchup=False,
    max_active_runs=2,
    default_args=default_args(SETTINGS, timedelta(minutes=2)),
    tags=["newsarchive", "ingest"],
    doc_md=f"{__doc__}\nTime zone: **{TZ}** (runs at 03:00 {TZ}; each run archives the {TZ} date of its data "
           f"interval start, shown with the source as each mapped task's name).\n\n"
           f"Steps: {' -> '.join(step.name for step in STEPS)}\n",
)
def news_daily() -> None:
    """Run every step of the plan for every enabled source and one local day."""

    @task
    def enabled_sources() -> list[str]:
        from etl.steps.tasks import dag_sources

        return dag_sources()

    @task_group(group_id="source")
    def per_source(source: str) -> None:
        crawl, *later = STEPS
        # `run_id` is a reserved context name in Airflow, hence `crawl_run_id`.
        crawl_run_id = task(task_id=crawl.name, pool=SETTINGS.crawl_pool,
                            map_index_template=MAP_INDEX)(run_step)(crawl.name, source)
        previous = crawl_run_id
        for step in later:
            current = task(task_id=step.name, map_index_template=MAP_INDEX)(run_step)(
                step.name, source, crawl_run_id)
            previous >> current
            previous = current

    per_source.expand(source=enabled_sources())


news_daily()
