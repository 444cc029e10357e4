"""Coverage tells the truth: blocked discovery (challenge pages, with 403 or with 200) and empty days are never
`complete` (so `--only-gaps` retries them), and a future day is refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from ops_support import copy_replay, query, reset, wire

from etl.cli.main import main
from etl.core.config import Settings
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.steps import backfill, pipeline
from etl.store import coverage

pytestmark = pytest.mark.integration
DAY = date(2026, 1, 1)


@pytest.mark.parametrize("status", [403, 200])
def test_a_day_whose_feed_was_a_challenge_is_not_complete_and_is_retried(settings: Settings, tmp_path: Path,
                                                                          status: int) -> None:
    reset(settings)
    url = settings.require_database_url()
    root = copy_replay(tmp_path)
    rules = root / "kaz.inform.kz" / "_rules"
    original = rules.read_text(encoding="utf-8")
    # Only the feed is blocked: the listing still answers (a site that answers nothing is a failed crawl).
    rules.write_text(original + f"/rss/kz.xml {status} body=_challenge.html\n", encoding="utf-8")
    with ReplayServer(root) as replay:
        wired = wire(settings, replay)
        summary = pipeline.ingest_day(wired, "kazinform", DAY)
        assert summary["blocked"] >= 1
        (row,) = coverage.rows(url, "kazinform")
        assert (row.status, row.detail) == (
            "partial", "a feed or listing was blocked (challenge page, 403 or 429): articles may be missing")
        assert coverage.incomplete_days(url, "kazinform", DAY, DAY) == [DAY]

        rules.write_text(original, encoding="utf-8")  # the block is lifted
        again = backfill.run(wired, backfill.BackfillRequest("kazinform", DAY, DAY, only_gaps=True))
    assert again.done == [DAY]
    assert [(r.status, r.loaded > 0) for r in coverage.rows(url, "kazinform")] == [("complete", True)]


def test_a_day_with_nothing_discovered_is_not_complete(settings: Settings) -> None:
    reset(settings)
    url = settings.require_database_url()
    empty = date(2025, 6, 1)  # the replay feed has no item of that day and its listing is empty
    with ReplayServer(DEFAULT_ROOT) as replay:
        summary = pipeline.ingest_day(wire(settings, replay), "kazinform", empty)
    assert summary["discovered"] == 0
    (row,) = coverage.rows(url, "kazinform")
    assert (row.status, row.detail) == ("partial", "no article was discovered (empty feed or listing)")


def test_a_future_day_is_refused_with_one_line(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    reset(settings)
    monkeypatch.setenv("DATABASE_URL", settings.require_database_url())
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", "--source", "kazinform", "--date", "2099-01-01"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2099-01-01 has not begun yet" in err
    assert query(settings, "SELECT count(*) FROM crawl_runs") == [(0,)]
