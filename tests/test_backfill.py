"""Backfill on the replay site: interrupted and resumed equals uninterrupted; --only-gaps restores one day."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from ops_support import (
    DAYS,
    REPO,
    copy_replay,
    delete_articles,
    query,
    reset,
    snapshot,
    strip_body_markup,
    wire,
)

from etl.core.config import Settings
from etl.core.errors import UserError
from etl.dev.local import replay_overrides
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.dev.services.manager import service_env
from etl.steps import backfill
from etl.store import coverage, s3

pytestmark = pytest.mark.integration
START, END = date(2025, 12, 31), date(2026, 1, 2)
REQUEST = backfill.BackfillRequest("kazinform", START, END)


class Interrupted(Exception):
    """Stands for Ctrl-C or a killed process in the middle of a day."""


def stop_at(stop_day: date, stop_step: str) -> backfill.StepHook:
    """A step hook that interrupts the backfill right after `stop_step` of `stop_day`."""

    def hook(day: date, step: str, run_id: int) -> None:
        if day == stop_day and step == stop_step:
            raise Interrupted

    return hook


def test_interrupted_backfill_resumes_to_the_same_state(settings: Settings) -> None:
    reset(settings)
    with ReplayServer(DEFAULT_ROOT) as replay:
        result = backfill.run(wire(settings, replay), REQUEST)
    assert result.done == REQUEST.days() and not result.failed
    uninterrupted = snapshot(settings)
    assert len(uninterrupted["articles"]) == sum(len(d["articles"]) for d in DAYS["days"].values())

    reset(settings)
    s3_fresh = dataclasses.replace(settings, s3_bucket=settings.s3_bucket + "-b")
    s3.ensure_bucket(s3_fresh)
    seen: list[tuple[date, str]] = []

    def stop_in_day_two(day: date, step: str, run_id: int) -> None:
        seen.append((day, step))
        if day == date(2026, 1, 1) and step == "archive":
            raise Interrupted

    stream = io.StringIO()
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(s3_fresh, replay)
        with pytest.raises(Interrupted):
            backfill.run(wired, REQUEST, stream=stream, on_step=stop_in_day_two)
        assert query(s3_fresh, "SELECT status FROM crawl_runs ORDER BY id") == [("loaded",), ("archived",)]
        seen.clear()
        resumed = backfill.run(wired, REQUEST, stream=stream, on_step=lambda d, s, r: seen.append((d, s)))
    assert resumed.resumed and resumed.done == REQUEST.days()
    # Day one was not touched again; day two went on at extract, with the run it had crawled.
    assert seen[:2] == [(date(2026, 1, 1), "extract"), (date(2026, 1, 1), "load")]
    assert snapshot(s3_fresh) == uninterrupted
    assert [row.status for row in coverage.rows(s3_fresh.require_database_url(), "kazinform")] == ["complete"] * 3
    progress = stream.getvalue()
    assert "day 2/3 2026-01-01" in progress and "3/3 2026-01-02 done" in progress
    assert "articles " in progress


def test_only_gaps_restores_exactly_the_missing_day(settings: Settings) -> None:
    reset(settings)
    url = settings.require_database_url()
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(settings, replay)
        backfill.run(wired, REQUEST)
        before = snapshot(settings)
        runs_before = query(settings, "SELECT id, partition_date FROM crawl_runs ORDER BY id")
        gone = query(settings, """SELECT a.id FROM articles a JOIN crawl_runs r ON r.id = a.crawl_run_id
                                  WHERE r.partition_date = '2026-01-01'""")
        ids = [row[0] for row in gone]
        delete_articles(settings, ids)
        assert coverage.incomplete_days(url, "kazinform", START, END) == [date(2026, 1, 1)]

        gaps = backfill.run(wired, backfill.BackfillRequest("kazinform", START, END, only_gaps=True))
    assert gaps.done == [date(2026, 1, 1)] and gaps.skipped == [START, END]
    new_runs = query(settings, "SELECT partition_date FROM crawl_runs WHERE id > %s", (runs_before[-1][0],))
    assert new_runs == [(date(2026, 1, 1),)]
    after = snapshot(settings)
    assert after["articles"] == before["articles"]
    assert after["raw_objects_per_day"]["date=2026-01-01/warc"] == 2  # one new WARC for that day only
    assert {k: v for k, v in after["raw_objects_per_day"].items() if "2026-01-01" not in k} == {
        k: v for k, v in before["raw_objects_per_day"].items() if "2026-01-01" not in k}
    assert {row.status for row in coverage.rows(url, "kazinform")} == {"complete"}


def test_cli_backfills_several_sources_and_fails_on_an_unhealthy_day(settings: Settings, tmp_path: Path) -> None:
    """Two sources in one command; kazinform's 2026-01-02 lost its body markup: exit 1 and a summary line that
    names it, also when the same command runs again."""
    reset(settings)
    root = copy_replay(tmp_path)
    strip_body_markup(root, "2026-01-02")
    with ReplayServer(root) as replay:
        env = {**os.environ, "PYTHONPATH": str(REPO), **service_env(settings),
               "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
               "NEWSARCHIVE_HOST_OVERRIDES": replay_overrides(replay.base_url)}
        command = [sys.executable, "-m", "etl.cli.main", "backfill", "--source", "kazinform,egemen", "--source",
                   "egemen", "--start", "2026-01-01", "--end", "2026-01-02"]
        first, again = (subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
                        for _ in range(2))
    for done in (first, again):
        assert done.returncode == 1, done.stderr[-3000:]
        summary = json.loads(done.stdout)
        assert list(summary) == ["egemen", "kazinform"]  # sorted keys; each named once
        assert summary["egemen"]["unhealthy"] == {} and len(summary["egemen"]["done"]) == 2
        assert list(summary["kazinform"]["unhealthy"]) == ["2026-01-02"]
        tail = done.stderr.splitlines()[-2:]
        assert tail[0] == "newsarchive: backfill: 0 failed day(s), 1 unhealthy day(s)", done.stderr[-3000:]
        assert tail[1].startswith("  unhealthy: kazinform 2026-01-02 unhealthy: body: fill rate 0%"), tail


def test_a_resumed_job_still_reports_an_unhealthy_day_it_did_earlier(settings: Settings, tmp_path: Path) -> None:
    reset(settings)
    root = copy_replay(tmp_path)
    strip_body_markup(root, "2026-01-01")  # also caught before there is a baseline (one earlier day only)
    with ReplayServer(root) as replay:
        wired = wire(settings, replay)
        with pytest.raises(Interrupted):
            backfill.run(wired, REQUEST, on_step=stop_at(END, "crawl"))
        resumed = backfill.run(wired, REQUEST)
    assert resumed.resumed and list(resumed.seconds) == [END]  # only day three ran now
    assert list(resumed.unhealthy) == [date(2026, 1, 1)]
    assert resumed.unhealthy[date(2026, 1, 1)].startswith("kazinform 2026-01-01 unhealthy: body: fill rate 0%")
    assert backfill.problem_lines({"kazinform": resumed})[0] == "backfill: 0 failed day(s), 1 unhealthy day(s)"


def test_source_names_accept_lists_and_all() -> None:
    from etl.cli.backfill import source_names
    from etl.sources import enabled_sources

    assert source_names(["kazinform,egemen", " nur ", "egemen"]) == ["kazinform", "egemen", "nur"]
    assert source_names(["all"]) == [s.name for s in enabled_sources()]
    with pytest.raises(UserError, match="unknown source 'nosuch'"):
        source_names(["kazinform,nosuch"])
    with pytest.raises(UserError, match="names no source"):
        source_names([","])


def test_backfill_refuses_days_that_have_not_ended(settings: Settings) -> None:
    with pytest.raises(UserError, match="before --start"):
        backfill.validate(backfill.BackfillRequest("kazinform", END, START), date(2026, 2, 1))
    with pytest.raises(UserError, match="has not ended"):
        backfill.validate(backfill.BackfillRequest("kazinform", START, END), END)


def _indexed(settings: Settings, day: date) -> int:
    return query(settings, """SELECT count(*) FROM minhash_signatures s JOIN articles a ON a.id = s.article_pk
                              JOIN crawl_runs r ON r.id = a.crawl_run_id WHERE r.partition_date = %s""", (day,))[0][0]


def test_backfill_indexes_near_duplicates_also_after_an_interruption_after_load(settings: Settings) -> None:
    reset(settings)
    day_two = date(2026, 1, 1)
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(settings, replay)
        with pytest.raises(Interrupted):
            backfill.run(wired, REQUEST, on_step=stop_at(day_two, "load"))
        assert query(settings, "SELECT status FROM crawl_runs ORDER BY id") == [("loaded",), ("stored",)]
        assert _indexed(settings, START) > 0 and _indexed(settings, day_two) == 0
        seen: list[str] = []
        backfill.run(wired, REQUEST, on_step=lambda d, s, r: seen.append(s) if d == day_two else None)
    assert seen == ["neardup", "summary", "health"]
    assert query(settings, "SELECT DISTINCT status FROM crawl_runs") == [("loaded",)]
    articles = query(settings, "SELECT count(*) FROM articles WHERE duplicate_of IS NULL OR duplicate_kind <> 'exact'")
    assert query(settings, "SELECT count(*) FROM minhash_signatures") == articles  # every day is in the index
    assert query(settings, "SELECT count(*) FROM articles WHERE cluster_id IS NOT NULL")[0][0] > 0


def test_backfill_finishes_a_run_left_stored_without_crawling_again(settings: Settings) -> None:
    """A day whose run stopped after load (as every day backfilled before migration 0008 did) is a gap, and
    `backfill --only-gaps` links it to its near-duplicates with the run it has: nothing is fetched again."""
    from etl.steps import pipeline

    reset(settings)
    url = settings.require_database_url()
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(settings, replay)
        run_id = pipeline.crawl(wired, "kazinform", END)
        for step in ("archive", "extract", "load"):
            pipeline.run_step(wired, step, run_id)
        assert coverage.incomplete_days(url, "kazinform", END, END) == [END]
        assert coverage.rows(url, "kazinform")[0].detail == "latest run stopped after step: stored"
        result = backfill.run(wired, backfill.BackfillRequest("kazinform", END, END, only_gaps=True))
    assert result.done == [END]
    assert query(settings, "SELECT id, status FROM crawl_runs") == [(run_id, "loaded")]
    assert _indexed(settings, END) > 0
    assert [row.status for row in coverage.rows(url, "kazinform")] == ["complete"]
