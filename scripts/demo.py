"""`make demo`: the main job end to end, offline.

Starts the embedded PostgreSQL and S3 (kept running afterwards so you can query them), serves the bundled
replay site on 127.0.0.1, runs the real Airflow DAG `news_daily` for one replay day with `airflow dags test`
(Airflow on SQLite under the state directory), then prints the run's counts, the S3 keys written and one SQL
query over the loaded articles. Settings: the usual environment (see .env.example).
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from etl.core.config import Settings, load_settings
from etl.core.errors import PipelineError, UserError
from etl.dev.local import airflow, init_airflow, local_env
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.dev.services import manager
from etl.store import s3
from etl.store.db import raw_connection

log = logging.getLogger("demo")


def logical_date_for(day: date, tz: ZoneInfo) -> datetime:
    """The logical date of a manual run whose data interval starts on `day` (03:00 local).

    A manual run (`airflow dags test`) of a CronDataIntervalTimetable covers the interval that ends at its
    logical date, so the run for `day` is the one at 03:00 of the next day.
    """
    return datetime.combine(day + timedelta(days=1), time(3, 0), tzinfo=tz)


def report(settings: Settings, day: date) -> int:
    """Print the latest run per source for `day`, the S3 keys and a query; return 0 if every run loaded."""
    url = settings.require_database_url()
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute(
            """SELECT DISTINCT ON (source) source, run_key, status, discovered, fetched, skipped_known, blocked,
                      failed, non_article, extracted, loaded_new, loaded_updated, unchanged, duplicates, error
               FROM crawl_runs WHERE partition_date = %s ORDER BY source, id DESC""",
            (day,),
        )
        runs = cur.fetchall()
        cur.execute(
            """SELECT source, count(*) AS articles, count(duplicate_of) AS duplicates,
                      min(published_at AT TIME ZONE 'Asia/Almaty')::text, max(published_at AT TIME ZONE 'Asia/Almaty')::text
               FROM articles WHERE (published_at AT TIME ZONE 'Asia/Almaty')::date = %s GROUP BY source""",
            (day,),
        )
        per_source = cur.fetchall()
        cur.execute(
            """SELECT to_char(published_at AT TIME ZONE 'Asia/Almaty', 'HH24:MI'), left(title, 70)
               FROM articles WHERE (published_at AT TIME ZONE 'Asia/Almaty')::date = %s AND duplicate_of IS NULL
               ORDER BY published_at DESC LIMIT 5""",
            (day,),
        )
        latest = cur.fetchall()
    print(f"\n== newsarchive demo: {day} ==")
    ok = bool(runs)
    for (source, run_key, status, discovered, fetched, skipped, blocked, failed, non_article, extracted, new,
         updated, unchanged, duplicates, error) in runs:
        print(f"source {source}: run {run_key} -> {status}")
        print(f"  discovered {discovered}, fetched {fetched}, skipped (already loaded) {skipped}, blocked {blocked}, "
              f"failed {failed}, not articles {non_article}")
        print(f"  extracted {extracted}, loaded new {new}, updated {updated}, unchanged {unchanged}, "
              f"duplicates linked {duplicates}")
        if error:
            print(f"  error: {error}")
        ok = ok and status == "loaded"
    keys = sorted(s3.iter_keys(s3.client(settings), settings.s3_bucket, ""))
    day_keys = [k for k in keys if f"date={day.isoformat()}/" in k]
    print(f"S3 objects for {day} in bucket {settings.s3_bucket} ({len(day_keys)}):")
    for key in day_keys:
        print(f"  s3://{settings.s3_bucket}/{key}")
    print("SQL: SELECT source, count(*), count(duplicate_of), min(published_at), max(published_at) FROM articles "
          f"WHERE local date = {day} GROUP BY source")
    for source, count, dups, first, last in per_source:
        print(f"  {source}: {count} articles ({dups} linked duplicates), published {first} .. {last} Asia/Almaty")
    print("Latest titles:")
    for hhmm, title in latest:
        print(f"  {hhmm}  {title}")
    from etl.read import report as run_report
    from etl.sources import SOURCES

    html_path = settings.state_dir / "report.html"
    html_path.write_text(run_report.build(url, list(SOURCES)), encoding="utf-8")
    print(f"Run report (open in a browser): {html_path}")
    print("\nThe embedded services keep running; query them with the exports from "
          "`.venv/bin/newsarchive services up`, stop them with `.venv/bin/newsarchive services down`.")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Run the demo; exit status 0 when every source's run for the day loaded."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 1, 1), help="replay day YYYY-MM-DD")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("botocore", "boto3", "s3transfer", "urllib3", "etl.dev.replay"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = manager.up(load_settings())
        log.info("services up: %s, %s", settings.database_url, settings.s3_endpoint_url)
        with ReplayServer(DEFAULT_ROOT, port=settings.replay_port) as replay:
            log.info("replay site on %s", replay.base_url)
            env = local_env(settings, replay.base_url, download_delay=0)
            init_airflow(settings, env)
            logical = logical_date_for(args.day, settings.timezone)
            log.info("airflow dags test news_daily %s", logical.isoformat())
            airflow(["dags", "test", "news_daily", logical.isoformat()], env)
        return report(settings, args.day)
    except (UserError, PipelineError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
