"""The coverage ledger: statuses from runs and present articles, the `coverage` command's table."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import date

import pytest
from ops_support import delete_articles, query, reset, wire

from etl.cli.coverage import cmd_coverage
from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.steps import pipeline
from etl.store import coverage

pytestmark = pytest.mark.integration


def test_ledger_statuses_and_command_output(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    reset(settings)
    url = settings.require_database_url()
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(settings, replay)
        summary = pipeline.ingest_day(wired, "kazinform", date(2026, 1, 1))
        with pytest.raises(PipelineError):
            pipeline.ingest_day(dataclasses.replace(wired, s3_endpoint_url="http://127.0.0.1:9"), "kazinform",
                                date(2026, 1, 2))
        stopped = pipeline.crawl(wired, "kazinform", date(2025, 12, 31))
        pipeline.run_step(wired, "archive", stopped)  # a run that stopped between steps
    coverage.refresh(url, ["kazinform"], date(2025, 12, 29), date(2026, 1, 2))
    ledger = {row.day: row for row in coverage.rows(url, "kazinform")}
    assert {d.isoformat(): r.status for d, r in ledger.items()} == {
        "2025-12-29": "never-run", "2025-12-30": "never-run", "2025-12-31": "partial", "2026-01-01": "complete",
        "2026-01-02": "failed"}
    day = ledger[date(2026, 1, 1)]
    assert (day.loaded, day.expected, day.fetched, day.blocked, day.failed) == (
        summary["loaded_new"], summary["loaded_new"], summary["fetched"], summary["blocked"], summary["failed"])
    assert day.archived == day.fetched and day.duplicates == summary["duplicates"]
    assert ledger[date(2026, 1, 2)].detail.startswith("latest run failed: ")
    assert ledger[date(2025, 12, 31)].detail == "latest run stopped after step: archived"

    delete_articles(settings, [row[0] for row in query(settings, "SELECT id FROM articles ORDER BY id LIMIT 2")])
    assert coverage.incomplete_days(url, "kazinform", date(2026, 1, 1), date(2026, 1, 1)) == [date(2026, 1, 1)]

    assert cmd_coverage(argparse.Namespace(source="kazinform", since=None, until=None), settings) == 0
    out = capsys.readouterr().out
    assert f"2 of {day.expected} loaded articles are missing" in out
    assert "2026-01-01  partial" in out and "2026-01-02  failed" in out
    assert out.strip().endswith("0 complete, 2 partial, 1 failed, 2 never-run")

    # --since long before the first run: only the days between the first and the last run are listed.
    assert cmd_coverage(argparse.Namespace(source=None, since=date(2025, 6, 1), until=None), settings) == 0
    listed = [line.split()[1] for line in capsys.readouterr().out.splitlines()[1:-1]]
    assert listed[0] == "2025-12-31" and listed[-1] == "2026-01-02", listed
    assert len(listed) == 8 * 3  # every source, three days (the others never ran: never-run)
    assert cmd_coverage(argparse.Namespace(source="kazinform", since=date(2026, 1, 1), until=date(2026, 1, 1)),
                        settings) == 0
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()[1:-1]] == ["2026-01-01"]
