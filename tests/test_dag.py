"""DAG integrity (imports cleanly and cheaply, retries, tags, timetable) and one real `dag.test()` run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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
        assert {tuple(rest) for _, *rest in runs} == {("2026-01-02", "loaded", True)}
        cur.execute("SELECT canonical_url FROM articles WHERE source = 'kazinform'")
        assert {row[0] for row in cur.fetchall()} == expected


def _xcom(run: Any, task_id: str) -> Any:
    """What a task of a finished `dag.test()` run returned."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        value = session.scalar(select(XComModel.value).where(
            XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id, XComModel.task_id == task_id,
            XComModel.key == "return_value"))
    return XComModel.deserialize_value(type("Row", (), {"value": value})())


def _parse(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, object]:
    from airflow.dag_processing.dagbag import DagBag

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    return bag.dags  # type: ignore[no-any-return]


def test_dag_files_read_settings_only_through_settings() -> None:
    for path in [*DAGS.glob("*.py"), DAGS.parent / "etl" / "steps" / "tasks.py"]:
        text = path.read_text(encoding="utf-8")
        assert "os.environ" not in text and "getenv" not in text, path
        assert "etl.dev" not in text, path  # development services are resolved at the CLI's edge only


def test_retries_pool_and_time_zone_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from etl.steps.tasks import local_day

    dags = _parse(monkeypatch, NEWSARCHIVE_TIMEZONE="Asia/Tokyo", NEWSARCHIVE_TASK_RETRIES="5",
                  NEWSARCHIVE_CRAWL_POOL="gentle")
    daily = dags["news_daily"]
    assert str(daily.timetable.timezone) == "Asia/Tokyo"  # type: ignore[attr-defined]
    assert {t.retries for t in daily.tasks} == {5}
    assert daily.get_task("source.crawl").pool == "gentle"
    assert {t.pool for t in daily.tasks if t.task_id != "source.crawl"} == {"default_pool"}
    # The UI names each mapped task by its source and the local day its run archives; the DAG doc names the zone.
    assert {t.map_index_template for t in daily.tasks if t.task_id.startswith("source.")} == {"{{ source }} {{ day }}"}
    assert "Time zone: **Asia/Tokyo**" in daily.doc_md
    assert {t.retries for t in dags["news_maintenance"].tasks} == {5}  # type: ignore[attr-defined]
    # 16:00 UTC on Jan 1 is already Jan 2 in Tokyo, still Jan 1 in Almaty: the day is local to the setting.
    start = datetime(2026, 1, 1, 16, 0, tzinfo=UTC)
    assert local_day(start, ZoneInfo("Asia/Tokyo")) == date(2026, 1, 2)
    assert local_day(start, ZoneInfo("Asia/Almaty")) == date(2026, 1, 1)


@pytest.mark.integration
def test_a_bad_setting_parses_with_defaults_and_fails_the_tasks(settings: object,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    import pendulum
    from airflow.utils import db

    import etl.sources
    from etl.core.config import load_settings
    from etl.core.errors import SettingsError
    from etl.steps.tasks import run_task

    dags = _parse(monkeypatch, NEWSARCHIVE_TASK_RETRIES="three", NEWSARCHIVE_TIMEZONE="Asia/Tokyo")
    daily = dags["news_daily"]
    assert {t.retries for t in daily.tasks} == {load_settings({}).task_retries}  # type: ignore[attr-defined]
    assert str(daily.timetable.timezone) == "Asia/Almaty"  # type: ignore[attr-defined]  # the defaults
    with pytest.raises(SettingsError, match="^NEWSARCHIVE_TASK_RETRIES must be a whole number, got 'three'$"):
        run_task("crawl", "kazinform", None, datetime(2026, 1, 1, tzinfo=UTC), "manual")
    monkeypatch.setattr(etl.sources, "enabled_sources", lambda: [etl.sources.get_source("kazinform")])
    db.resetdb()
    run = daily.test(logical_date=pendulum.datetime(2026, 1, 3, 3, 0, tz="Asia/Almaty"))  # type: ignore[attr-defined]
    states = {ti.task_id: str(ti.state).rsplit(".", 1)[-1].lower() for ti in run.get_task_instances()}
    assert states["source.crawl"] == "failed" and states["source.archive"] == "upstream_failed", states
    assert states["enabled_sources"] == "success"


@pytest.mark.integration
def test_maintenance_runs_on_settings_from_the_environment(settings: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """`news_maintenance` re-extracts and re-checks with `load_settings()` only (no development services)."""
    import pendulum
    from airflow.utils import db

    s = settings
    dags = _parse(monkeypatch, DATABASE_URL=s.database_url, S3_ENDPOINT_URL=s.s3_endpoint_url,  # type: ignore[attr-defined]
                  S3_BUCKET=s.s3_bucket, AWS_ACCESS_KEY_ID=s.aws_access_key_id,  # type: ignore[attr-defined]
                  AWS_SECRET_ACCESS_KEY=s.aws_secret_access_key,  # type: ignore[attr-defined]
                  NEWSARCHIVE_TIMEZONE="Asia/Tokyo")
    db.resetdb()
    run = dags["news_maintenance"].test(logical_date=pendulum.datetime(2026, 1, 4, 5, 0, tz="Asia/Tokyo"))  # type: ignore[attr-defined]
    assert str(run.state) in ("success", "DagRunState.SUCCESS")
    # The window comes from the run (its local day in Tokyo), not from the clock of whoever re-runs it.
    window = _xcom(run, "reextract")
    assert (window["since"], window["until"]) == ("2025-12-28", "2026-01-03"), window
