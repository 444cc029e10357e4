"""Health: a replay day whose pages lose their body markup is unhealthy by source and field; the DAG fails it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from ops_support import DAYS, copy_replay, reset, wire

from etl.core.config import Settings
from etl.dev.replay.server import ReplayServer
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
    assert health.judge(dict(baseline, author=0.0), dict(baseline, author=0.1), 0.0) == []  # rarely filled


@pytest.mark.integration
def test_day_without_body_markup_is_reported_unhealthy_by_name(settings: Settings, tmp_path: Path) -> None:
    reset(settings)
    root = copy_replay(tmp_path)
    for url in DAYS["days"][BROKEN_DAY.isoformat()]["articles"]:
        page = root / "kaz.inform.kz" / url.split("kaz.inform.kz/", 1)[1] / "index.html"
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("article__body-text", "story-text").replace("article__content", "story-box"),
                        encoding="utf-8")
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


def test_blocked_share_counts_skipped_known_articles_as_reachable() -> None:
    # A re-run that skips 24 archived articles and meets the one always-blocked page is not "all blocked".
    assert health.blocked_share(fetched=0, blocked=1, skipped_known=24) == 1 / 25
    assert health.judge({"count": 24.0}, None, health.blocked_share(0, 1, 24)) == []
    # A site that blocks everything new is still flagged.
    assert health.blocked_share(fetched=0, blocked=20, skipped_known=0) == 1.0
    assert health.blocked_share(0, 0, 0) == 0.0
