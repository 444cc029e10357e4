"""What the Airflow DAG files read and call: their settings, the local day of a run, one pipeline step per task.

Reads every setting through `etl.core.config.load_settings()` (the environment Airflow gives its workers:
DATABASE_URL, the S3 settings, NEWSARCHIVE_TIMEZONE, NEWSARCHIVE_TASK_RETRIES, NEWSARCHIVE_CRAWL_POOL, ...).
Nothing here imports the pipeline at module level, so a DAG file may import it while it is parsed.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from etl.core.config import Settings, load_settings
from etl.core.errors import PipelineError, SettingsError
from etl.steps import plan

log = logging.getLogger(__name__)

#: The daily ingest DAG (dags/news_daily.py).
DAILY_DAG_ID = "news_daily"


def dag_settings() -> Settings:
    """The settings a DAG file is built with; never raises (broken settings: the defaults, and tasks fail)."""
    try:
        return load_settings()
    except Exception as exc:  # a DAG file must import whatever the environment holds
        log.warning("%s; the DAG is built with default settings and its tasks fail until this is fixed", exc)
        return load_settings({})


def default_args(settings: Settings, retry_delay: timedelta) -> dict[str, Any]:
    """The DAGs' task defaults: NEWSARCHIVE_TASK_RETRIES retries with exponential backoff from `retry_delay`."""
    return {"owner": "newsarchive", "retries": settings.task_retries, "retry_delay": retry_delay,
            "retry_exponential_backoff": True, "max_retry_delay": timedelta(minutes=30)}


def dag_sources() -> list[str]:
    """The sources a `news_daily` run maps over: NEWSARCHIVE_SOURCES (each checked) or every enabled source.

    Broken settings give every enabled source, whose tasks then fail with the setting's message.
    """
    from etl.sources import enabled_sources, get_source

    chosen = dag_settings().sources
    return [get_source(name).name for name in chosen] if chosen else [source.name for source in enabled_sources()]


def local_day(interval_start: datetime | None, tz: ZoneInfo) -> date:
    """The day a run archives: the local date, in `tz`, of its data interval start."""
    if interval_start is None:
        raise SettingsError("this DAG run has no data interval; trigger it with a logical date")
    return interval_start.astimezone(tz).date()


def run_task(step: str, source: str, run_id: int | None, interval_start: datetime | None,
             airflow_run_id: str) -> Any:
    """One DAG task: the crawl (no run yet: the source's local day, returns the run id) or a step of the run."""
    from etl.steps import pipeline

    settings = load_settings()  # a broken setting fails the task with its one-line message
    if step == plan.STEPS[0].name:
        day = local_day(interval_start, settings.timezone)
        return pipeline.crawl(settings, source, day, trigger="airflow", airflow_run_id=airflow_run_id)
    if run_id is None:
        raise PipelineError(f"the {step} task of {source} got no crawl run id from its crawl task")
    return pipeline.run_step(settings, step, run_id)
