"""
### news_maintenance

Maintenance of the archive, weekly (Sunday 05:00 local time, NEWSARCHIVE_TIMEZONE) or triggered by hand:

1. **reextract** - re-parses the archived WARC responses of the last `days` days (a run parameter, default 7;
   0 means everything) from S3 with the current parsers and updates articles and versions. Nothing is
   fetched from the sites. Trigger it by hand after a parser release.
2. **health** - re-checks every source and day of that window against the source's baseline and fails with
   the names of the unhealthy sources, days and fields.
3. **package** - packs every closed source-day (up to yesterday) not packed yet into a WACZ file in S3
   (`packages/source=<source>/date=<day>.wacz`: the day's WARCs, CDXJ index, pages list, digests).

Settings come from the environment (see `.env.example`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from etl.steps.tasks import dag_settings, default_args, local_day

SETTINGS = dag_settings()
TZ = SETTINGS.timezone.key


def _window(settings: Any) -> tuple[date | None, date]:
    """The days to re-extract and re-check: the `days` before the run's local day, or everything before it.

    The run's day is the local date of its data interval end (a manual run without one: when it was due to
    run), never the clock, so a run re-done later covers the same days.
    """
    context = get_current_context()
    days = int(context["params"].get("days", 7))
    moment = context.get("data_interval_end") or context["dag_run"].run_after
    today = local_day(moment, settings.timezone)
    return (today - timedelta(days=days) if days > 0 else None), today - timedelta(days=1)


@dag(
    dag_id="news_maintenance",
    schedule="0 5 * * 0",
    start_date=pendulum.datetime(2025, 12, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(SETTINGS, timedelta(minutes=5)),
    params={"days": Param(7, type="integer", minimum=0, description="days back to re-extract; 0 = all")},
    tags=["newsarchive", "maintenance"],
    doc_md=__doc__,
)
def news_maintenance() -> None:
    """Re-extract recent articles from the archive, then re-check their health; package closed days."""

    @task
    def reextract() -> dict[str, Any]:
        from etl.core.config import load_settings
        from etl.steps.reextract import reextract as run

        settings = load_settings()
        since, until = _window(settings)
        return {"since": since and since.isoformat(), "until": until.isoformat(),
                **run(settings, None, since, until).as_json()}

    @task
    def health() -> list[str]:
        from airflow.sdk.exceptions import AirflowFailException

        from etl.core.config import load_settings
        from etl.sources import enabled_sources
        from etl.store import coverage
        from etl.store import health as checks

        settings = load_settings()
        since, until = _window(settings)
        url = settings.require_database_url()
        if since is not None:
            coverage.refresh(url, [s.name for s in enabled_sources()], since, until)
        problems = [checks.check_day(settings, row.source, row.day) for row in coverage.rows(url, since=since)
                    if row.runs > 0 and row.day <= until]
        bad = [v.message for v in problems if not v.healthy]
        if bad:
            raise AirflowFailException("; ".join(bad))
        return [v.message for v in problems]

    @task
    def package() -> int:
        from etl.core.config import load_settings
        from etl.read.wacz import pack_closed_days

        settings = load_settings()
        _, until = _window(settings)
        return len(pack_closed_days(settings, until + timedelta(days=1)))

    reextract() >> health()
    package()


news_maintenance()
