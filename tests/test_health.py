"""Health: a replay day whose pages lose their body markup is unhealthy by source and field; the DAG fails it."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from types import MappingProxyType

import pytest
from ops_support import DAYS, REPO, copy_replay, reset, strip_body_markup, wire

from etl.core.config import Settings, parse_host_overrides
from etl.dev.local import replay_overrides
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.sources import get_source
from etl.steps import pipeline
from etl.store import coverage, health

BROKEN_DAY = date(2026, 1, 2)


def test_judge_names_each_field_that_dropped() -> None:
    baseline = {"count": 24.0, "title": 1.0, "date": 1.0, "author": 0.9, "body": 1.0, "body_chars": 1200.0}
    today = dict(baseline, body=0.0, author=0.1)
    assert health.judge(baseline, baseline, 0.0) == []
    problems = health.judge(today, baseline, 0.0)
    assert [p.split(":")[0] for p in problems] == ["author", "body"]
    assert health.judge(dict(baseline, count=3.0), baseline, 0.0)[0].startswith("count: 3 articles")
    assert health.judge(baseline, None, 0.8) == ["blocked: 80% of article fetches were blocked"]
    # Without a baseline the site's parser is still expected to find the bodies: a broken first day is caught.
    assert health.judge(today, None, 0.0)[0].startswith("body: fill rate 0% (no baseline yet")
    assert health.judge(dict(baseline, author=0.0), dict(baseline, author=0.1), 0.0) == []  # rarely filled


@pytest.mark.integration
def test_day_without_body_markup_is_reported_unhealthy_by_name(settings: Settings, tmp_path: Path) -> None:
    reset(settings)
    root = copy_replay(tmp_path)
    strip_body_markup(root, BROKEN_DAY.isoformat())
    with ReplayServer(root) as replay:
        wired = wire(settings, replay)
        for day in (date(2025, 12, 31), date(2026, 1, 1), BROKEN_DAY):
            pipeline.ingest_day(wired, "kazinform", day)
    good = health.check_day(wired, "kazinform", date(2026, 1, 1))
    assert good.status == "ok", good.message
    broken = health.check_day(wired, "kazinform", BROKEN_DAY)
    assert broken.status == "unhealthy"
    assert broken.message.startswith("kazinform 2026-01-02 unhealthy: ")
    assert "body: fill rate 0%" in broken.message
    ledger = {row.day: row for row in coverage.rows(wired.require_database_url(), "kazinform")}
    assert ledger[BROKEN_DAY].health == "unhealthy" and ledger[date(2026, 1, 1)].health == "ok"
    assert ledger[BROKEN_DAY].fallback_extractions == len(DAYS["days"][BROKEN_DAY.isoformat()]["articles"])
    table = "\n".join(coverage.as_table(list(ledger.values())))
    assert "unhealthy  # kazinform 2026-01-02 unhealthy: " in table


def test_baseline_is_the_median_of_enough_other_days() -> None:
    day = {"count": 4.0, "title": 1.0, "date": 1.0, "author": 0.0, "body": 1.0, "body_chars": 150.0}
    assert health.baseline_of([day]) is None  # one other day is not enough
    assert health.baseline_of([day, dict(day, count=0.0)]) is None  # days without articles do not count
    odd = dict(day, count=40.0, body_chars=2000.0)  # one odd day does not move a median
    assert health.baseline_of([day, day, odd]) == day


@pytest.mark.integration
def test_short_items_are_healthy_in_any_run_order_and_on_a_rerun(settings: Settings) -> None:
    """egemen's replay items are one paragraph (94-417 characters): measured against the source's own bodies,
    every day is healthy, whichever day runs first and after a re-run of a complete day (these failed with
    a fixed 200-character body and a baseline of earlier days only)."""
    reset(settings)
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = dataclasses.replace(settings, download_delay=0.0, host_overrides=MappingProxyType(
            parse_host_overrides(replay_overrides(replay.base_url, get_source("egemen").hosts))))
        verdicts = [pipeline.ingest_day(wired, "egemen", day)
                    for day in (date(2026, 1, 2), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2))]
    assert [v["health"] for v in verdicts] == ["ok"] * 4, verdicts
    assert verdicts[-1]["loaded_new"] == 0  # the re-run found everything archived
    for day in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)):
        verdict = health.check_day(wired, "egemen", day)
        assert verdict.status == "ok", verdict.message
        assert verdict.metrics["baseline_days"] == 2 and verdict.metrics["min_body_chars"] > 1


def test_blocked_share_counts_skipped_known_articles_as_reachable() -> None:
    # A re-run that skips 24 archived articles and meets the one always-blocked page is not "all blocked".
    assert health.blocked_share(fetched=0, blocked=1, skipped_known=24) == 1 / 25
    day = {"count": 24.0, "title": 1.0, "date": 1.0, "author": 1.0, "body": 1.0, "body_chars": 300.0}
    assert health.judge(day, None, health.blocked_share(0, 1, 24)) == []
    # A site that blocks everything new is still flagged.
    assert health.blocked_share(fetched=0, blocked=20, skipped_known=0) == 1.0
    assert health.blocked_share(0, 0, 0) == 0.0


@pytest.mark.integration
@pytest.mark.airflow
def test_the_dag_health_task_fails_on_the_stripped_day(settings: Settings, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The DAG gives the verdict the CLI gives: its health task fails on the stripped day, every other task
    succeeds, and the ledger names the day."""
    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    import etl.sources
    from etl.dev.services.manager import service_env

    reset(settings)
    root = copy_replay(tmp_path)
    strip_body_markup(root, BROKEN_DAY.isoformat())
    monkeypatch.setattr(etl.sources, "enabled_sources", lambda: [get_source("kazinform")])
    db.resetdb()
    with ReplayServer(root) as replay:
        wired = wire(settings, replay)
        for day in (date(2025, 12, 31), date(2026, 1, 1)):
            pipeline.ingest_day(wired, "kazinform", day)
        env = {**service_env(settings), "NEWSARCHIVE_STATE_DIR": str(settings.state_dir),
               "NEWSARCHIVE_HOST_OVERRIDES": replay_overrides(replay.base_url), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
               "NEWSARCHIVE_TASK_RETRIES": "0"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        dag = DagBag(dag_folder=str(REPO / "dags")).dags["news_daily"]
        run = dag.test(logical_date=pendulum.datetime(2026, 1, 3, 3, 0, tz="Asia/Almaty"))  # archives 2026-01-02
    states = {ti.task_id: str(ti.state).rsplit(".", 1)[-1].lower() for ti in run.get_task_instances()
              if ti.task_id.startswith("source.")}
    assert states.pop("source.health") == "failed"
    assert set(states.values()) == {"success"}, states
    ledger = {row.day: row for row in coverage.rows(settings.require_database_url(), "kazinform")}
    assert ledger[BROKEN_DAY].health == "unhealthy"
    assert (ledger[BROKEN_DAY].health_message or "").startswith("kazinform 2026-01-02 unhealthy: body: fill rate 0%")
