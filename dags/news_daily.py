"""
### news_daily

Archives one local (Asia/Almaty) day of every enabled news source, once a day at 03:00 Almaty time.

The day is the local date of the run's `data_interval_start` (never the clock), so a backfill over any past
range (`airflow backfill create --dag-id news_daily --from-date ... --to-date ...`) does the same work
as the daily run did. Per source, a mapped task group runs:

1. **crawl** - Scrapy in a fresh subprocess fetches the day's new articles politely and writes every
   request/response to a WARC, uploaded write-once (sha256-verified) to
   `raw/source=<source>/date=<YYYY-MM-DD>/<run-key>.warc.gz` with its manifest;
2. **archive** - re-verifies the WARC in S3 and records it in `raw_archives`;
3. **extract** - parses every archived article response (fallback chain), cleans and hashes it, and stages
   the rows in S3 (`derived/...articles.jsonl.gz`);
4. **load** - COPY + `INSERT ... ON CONFLICT` in one transaction: versions kept, exact duplicates linked;
5. **dedup** - links the run's new or changed articles to near-duplicates anywhere in the archive
   (MinHash LSH index kept in PostgreSQL);
6. **summary** - logs the run's counts and updates the coverage ledger;
7. **health** - compares the day's field fill rates and counts with the source's recent baseline and fails
   with a message naming the source and field on a sharp drop (layout change, block, empty feed).

The crawl task runs in the Airflow pool `news_sites` (NEWSARCHIVE_CRAWL_POOL): its slots bound how many
crawls run at once across all runs, so a long backfill stays polite.

Tasks exchange only a run id (XCom); data lives in S3 and PostgreSQL. Each task retries with exponential
backoff, and one failing source never blocks the others. Settings come from the environment
(see `.env.example`).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, get_current_context, task, task_group

LOCAL_TZ = "Asia/Almaty"
# Every crawl task takes a slot of this Airflow pool, so parallel runs (a backfill) never crawl a site harder
# than its slots allow; create it with `airflow pools set news_sites 2 "..."` (docs/operations.md).
CRAWL_POOL = os.environ.get("NEWSARCHIVE_CRAWL_POOL", "news_sites")
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "newsarchive",
    # NEWSARCHIVE_TASK_RETRIES: the demo and tests use 0 so that a failure shows at once.
    "retries": int(os.environ.get("NEWSARCHIVE_TASK_RETRIES", "3")),
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
}


def _partition_day() -> date:
    """The local date of this run's data interval start."""
    start = get_current_context()["data_interval_start"]
    if start is None:
        raise ValueError("this run has no data interval")
    return pendulum.instance(start).in_timezone(LOCAL_TZ).date()


def _settings() -> Any:
    from etl.core.config import load_settings
    from etl.dev.services.manager import resolve_settings

    return resolve_settings(load_settings())


@dag(
    dag_id="news_daily",
    schedule=CronDataIntervalTimetable("0 3 * * *", timezone=LOCAL_TZ),
    start_date=pendulum.datetime(2025, 12, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=2,
    default_args=DEFAULT_ARGS,
    tags=["newsarchive", "ingest"],
    doc_md=__doc__,
)
def news_daily() -> None:
    """Crawl, archive, extract and load every enabled source for one local day."""

    @task
    def enabled_sources() -> list[str]:
        from etl.sources import enabled_sources as enabled

        return [source.name for source in enabled()]

    @task_group(group_id="source")
    def per_source(source: str) -> None:
        @task(pool=CRAWL_POOL)
        def crawl(source_name: str) -> int:
            from etl.steps import pipeline

            context = get_current_context()
            return pipeline.crawl(_settings(), source_name, _partition_day(), trigger="airflow",
                                  airflow_run_id=context["run_id"])

        @task
        def archive(crawl_run_id: int) -> dict[str, Any]:
            from etl.steps import pipeline

            return pipeline.archive_run(_settings(), crawl_run_id)

        @task
        def extract(crawl_run_id: int) -> dict[str, Any]:
            from etl.steps import pipeline

            return pipeline.extract_run(_settings(), crawl_run_id)

        @task
        def load(crawl_run_id: int) -> dict[str, Any]:
            from etl.steps import pipeline

            return pipeline.load_run(_settings(), crawl_run_id)

        @task
        def dedup(crawl_run_id: int) -> dict[str, Any]:
            from etl.steps import pipeline

            return pipeline.dedup_run(_settings(), crawl_run_id)

        @task
        def summary(crawl_run_id: int) -> dict[str, Any]:
            from etl.steps import pipeline

            return pipeline.summarize(_settings(), crawl_run_id)

        @task
        def health(crawl_run_id: int) -> str:
            from airflow.sdk.exceptions import AirflowFailException

            from etl.store import health as checks

            verdict = checks.check_run(_settings(), crawl_run_id)
            if not verdict.healthy:
                raise AirflowFailException(verdict.message)  # names the source and each field that dropped
            return verdict.message

        # `run_id` is a reserved context name in Airflow, hence `crawl_run_id`.
        crawl_run_id = crawl(source)
        archived = archive(crawl_run_id)
        extracted = extract(crawl_run_id)
        loaded = load(crawl_run_id)
        archived >> extracted >> loaded >> dedup(crawl_run_id) >> summary(crawl_run_id) >> health(crawl_run_id)

    per_source.expand(source=enabled_sources())


news_daily()
