"""One list of steps (etl/steps/plan.py): its statuses are the run's, and ingest, backfill and the DAG that all
run it leave the same archive (articles, versions, MinHash index, near-duplicate links, coverage ledger)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

import psycopg2
import pytest
from ops_support import REPO, archive_state, query, reset
from test_migrate import empty_db  # noqa: F401  (a fresh database to migrate)

from etl.core.config import Settings, parse_host_overrides
from etl.steps import plan
from etl.store import runs

SOURCES = ("kazinform", "tengrinews")
DAYS = [date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]


def test_the_plan_walks_the_run_statuses_in_order() -> None:
    assert [s.name for s in plan.STEPS] == ["crawl", "archive", "extract", "load", "neardup", "summary", "health"]
    assert [plan.STEPS[0].needs] + [s.leaves for s in plan.STEPS if s.leaves] == list(runs.STATUSES)
    assert all(callable(step.function) for step in plan.STEPS)
    assert [s.name for s in plan.remaining("crawled")][0] == "archive"
    assert [s.name for s in plan.remaining("stored")] == ["neardup", "summary", "health"]
    assert [s.name for s in plan.remaining("loaded")] == ["summary", "health"]
    with pytest.raises(KeyError, match="no pipeline step 'dedup'"):
        plan.get("dedup")


def test_the_database_accepts_exactly_the_run_statuses(settings: Settings) -> None:
    (definition,) = query(settings, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                    "WHERE conname = 'crawl_runs_status_check'")[0]
    assert sorted(s.strip("'") for s in re.findall(r"'[a-z]+'", definition)) == sorted(
        [*runs.STATUSES, *runs.ENDED])


@pytest.mark.integration
@pytest.mark.airflow
def test_ingest_backfill_and_the_dag_leave_the_same_archive(settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    import etl.sources
    from etl.dev.local import replay_overrides
    from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
    from etl.steps import backfill, pipeline

    with ReplayServer(DEFAULT_ROOT) as replay:
        overrides = replay_overrides(replay.base_url)
        wired = dataclasses.replace(settings, host_overrides=MappingProxyType(parse_host_overrides(overrides)),
                                    download_delay=0.0)
        reset(settings)
        for day in DAYS:
            for source in SOURCES:
                pipeline.ingest_day(wired, source, day)
        ingested = archive_state(settings)

        reset(settings)
        for source in SOURCES:
            assert not backfill.run(wired, backfill.BackfillRequest(source, DAYS[0], DAYS[-1])).failed
        backfilled = archive_state(settings)

        reset(settings)
        env = {"DATABASE_URL": settings.database_url, "S3_ENDPOINT_URL": settings.s3_endpoint_url,
               "S3_BUCKET": settings.s3_bucket, "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,
               "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
               "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_HOST_OVERRIDES": overrides,
               "NEWSARCHIVE_DOWNLOAD_DELAY": "0", "NEWSARCHIVE_TASK_RETRIES": "0"}
        for name, value in env.items():
            monkeypatch.setenv(name, str(value))
        monkeypatch.setattr(etl.sources, "enabled_sources", lambda: [etl.sources.get_source(s) for s in SOURCES])
        db.resetdb()
        dag = DagBag(dag_folder=str(REPO / "dags")).dags["news_daily"]
        failed_health = set()
        for day in DAYS:  # the run of the next morning archives the day
            nxt = day + timedelta(days=1)
            run = dag.test(logical_date=pendulum.datetime(nxt.year, nxt.month, nxt.day, 3, 0, tz="Asia/Almaty"))
            states = {(ti.task_id, ti.rendered_map_index): str(ti.state).rsplit(".", 1)[-1].lower()
                      for ti in run.get_task_instances()}
            # shown by source and the local day the run archives
            assert {name for (task, name) in states if task == "source.crawl"} == {f"{s} {day}" for s in SOURCES}
            assert {state for (task, _), state in states.items() if task != "source.health"} == {"success"}, states
            failed_health |= {(name.split()[0], day) for (task, name), state in states.items()
                              if task == "source.health" and state == "failed"}
        dag_state = archive_state(settings)

    assert ingested["signatures"] and ingested["bands"]
    assert any(row[6] is not None for row in ingested["articles"])  # duplicate links, across the two sources
    assert {row[5] for row in ingested["articles"]} == {runs.DONE}
    assert backfilled == ingested
    assert dag_state == ingested
    # The replay days are correct: every health task succeeds and the ledger calls every day healthy.
    assert failed_health == set()
    assert {row[16] for row in ingested["coverage"]} == {"ok"}, [r for r in ingested["coverage"] if r[16] != "ok"]


def test_migration_0008_gives_old_runs_the_status_they_reached(empty_db: str, tmp_path: Path) -> None:  # noqa: F811
    """Loaded runs that never had the near-duplicate step (old backfills) become `stored`; runs failed after
    their crawl go back to the last status they reached, with their error."""
    from etl.store.migrate import MIGRATIONS_DIR, migrate

    before = tmp_path / "before-0008"
    before.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("000[1-7]_*.sql")):
        shutil.copy(path, before / path.name)
    migrate(empty_db, before)
    runs_before = {"linked": ("loaded", {"warc_key": "w1", "staged_key": "s", "near_duplicates": 0}),
                   "backfilled": ("loaded", {"warc_key": "w2", "staged_key": "s"}),
                   "failed_in_load": ("failed", {"warc_key": "w3", "staged_key": "s"}),
                   "failed_in_archive": ("failed", {"warc_key": "w4"}),
                   "failed_in_crawl": ("failed", {})}
    with psycopg2.connect(empty_db) as conn, conn.cursor() as cur:
        for key, (status, counts) in runs_before.items():
            cur.execute("""INSERT INTO crawl_runs (run_key, source, partition_date, interval_start, interval_end,
                                                   status, counts, error)
                           VALUES (%s, 'kazinform', '2026-01-01', '2026-01-01', '2026-01-02', %s, %s, %s)""",
                        (key, status, json.dumps(counts), "boom" if status == "failed" else None))
    migrate(empty_db)
    with psycopg2.connect(empty_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT run_key, status, error FROM crawl_runs ORDER BY id")
        assert cur.fetchall() == [("linked", "loaded", None), ("backfilled", "stored", None),
                                  ("failed_in_load", "extracted", "boom"), ("failed_in_archive", "crawled", "boom"),
                                  ("failed_in_crawl", "failed", "boom")]


@pytest.mark.integration
def test_days_finishing_out_of_order_leave_the_same_archive(settings: Settings) -> None:
    """Two runs at once (the DAG's max_active_runs, the cluster) finish days in any order: an article loaded
    before an earlier copy of it arrives becomes that copy's exact duplicate and must leave the MinHash index, and
    the ledger of its day must count it, exactly as when the days finish in order."""
    from etl.dev.local import replay_overrides
    from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
    from etl.steps import pipeline

    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = dataclasses.replace(settings, download_delay=0.0, host_overrides=MappingProxyType(
            parse_host_overrides(replay_overrides(replay.base_url))))
        states = []
        for order in (DAYS, [DAYS[1], DAYS[2], DAYS[0]]):
            reset(settings)
            for day in order:
                for source in SOURCES:
                    pipeline.ingest_day(wired, source, day)
            states.append(archive_state(settings))
    in_order, out_of_order = states
    assert any(row[7] == "exact" for row in in_order["articles"])  # the case is there to be got wrong
    for part in in_order:
        diff = sorted(set(out_of_order[part]) ^ set(in_order[part]))
        assert not diff, (part, diff)
