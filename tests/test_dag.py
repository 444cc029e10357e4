"""DAG integrity (imports cleanly and cheaply, retries, tags, timetable) and one real `dag.test()` run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[1] / "dags"
pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def dagbag() -> object:
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_every_dag_file_imports(dagbag: object) -> None:
    assert dagbag.import_errors == {}  # type: ignore[attr-defined]
    assert set(dagbag.dags) == {"news_daily", "news_maintenance"}  # type: ignore[attr-defined]


def test_news_daily_shape(dagbag: object) -> None:
    dag = dagbag.dags["news_daily"]  # type: ignore[attr-defined]
    assert dag.tags and dag.doc_md
    assert type(dag.timetable).__name__ == "CronDataIntervalTimetable"
    assert dag.catchup is False
    ids = {t.task_id for t in dag.tasks}
    assert {"source.crawl", "source.archive", "source.extract", "source.load", "source.summary"} <= ids
    for task in dag.tasks:
        assert task.retries >= 2 or os.environ.get("NEWSARCHIVE_TASK_RETRIES") == "0", task.task_id
        assert task.retry_exponential_backoff, task.task_id
    crawl = dag.get_task("source.crawl")
    assert crawl.downstream_task_ids >= {"source.archive"}


def test_dag_import_is_light() -> None:
    """Importing the DAG file must not import Scrapy, boto3 or the ETL pipeline (parse-time cost)."""
    code = (
        "import sys, runpy; runpy.run_path(sys.argv[1]); "
        "heavy = [m for m in ('scrapy', 'boto3', 'etl.steps.pipeline', 'psycopg2', 'trafilatura') if m in sys.modules]; "
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(DAGS / "news_daily.py")], capture_output=True,
                         text=True, check=True)
    marker = [line for line in out.stdout.splitlines() if line.startswith("HEAVY=")]
    assert marker == ["HEAVY="]


@pytest.mark.integration
def test_dag_test_run_loads_a_replay_day(settings: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real `dag.test()` run: every task in this process, crawl in a subprocess, real PostgreSQL and S3."""
    import json

    import pendulum
    import psycopg2
    from airflow.utils import db

    from etl.dev.local import replay_overrides
    from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
    from etl.sources import enabled_sources

    days = json.loads((DAGS.parent / "fixtures" / "kazinform" / "days.json").read_text(encoding="utf-8"))
    expected = set(days["days"]["2026-01-02"]["articles"])
    db.resetdb()
    with ReplayServer(DEFAULT_ROOT) as replay:
        env = {
            "DATABASE_URL": settings.database_url, "S3_ENDPOINT_URL": settings.s3_endpoint_url,  # type: ignore[attr-defined]
            "S3_BUCKET": settings.s3_bucket, "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,  # type: ignore[attr-defined]
            "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,  # type: ignore[attr-defined]
            "NEWSARCHIVE_STATE_DIR": str(settings.state_dir),  # type: ignore[attr-defined]
            "NEWSARCHIVE_HOST_OVERRIDES": replay_overrides(replay.base_url), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        from airflow.dag_processing.dagbag import DagBag

        dag = DagBag(dag_folder=str(DAGS)).dags["news_daily"]
        # A manual run covers the interval that ends at its logical date: this one archives 2026-01-02.
        run = dag.test(logical_date=pendulum.datetime(2026, 1, 3, 3, 0, tz="Asia/Almaty"))
        assert str(run.state) in ("success", "DagRunState.SUCCESS")
        with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute("SELECT md5(string_agg(content_hash || canonical_url, ',' ORDER BY id)) FROM articles")
            before = cur.fetchone()
        # The same day again (as a second `make demo` does): succeeds, fetches and loads nothing new.
        again = dag.test(logical_date=pendulum.datetime(2026, 1, 3, 3, 0, tz="Asia/Almaty"))
    assert str(again.state) in ("success", "DagRunState.SUCCESS")
    with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute("SELECT md5(string_agg(content_hash || canonical_url, ',' ORDER BY id)) FROM articles")
        assert cur.fetchone() == before
        cur.execute("SELECT sum(fetched), sum(loaded_new) FROM crawl_runs WHERE airflow_run_id = %s",
                    (again.run_id,))
        assert cur.fetchone() == (0, 0)
    with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute("SELECT source, partition_date::text, status, airflow_run_id IS NOT NULL FROM crawl_runs "
                    "WHERE airflow_run_id = %s", (run.run_id,))
        runs = cur.fetchall()
        assert {source for source, *_ in runs} == {source.name for source in enabled_sources()}
        assert {tuple(rest) for _, *rest in runs} == {("2026-01-02", "linked", True)}
        cur.execute("SELECT canonical_url FROM articles WHERE source = 'kazinform'")
        assert {row[0] for row in cur.fetchall()} == expected
