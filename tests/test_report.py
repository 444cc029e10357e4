"""The HTML run report: self-contained, every chart present, renders in headless Chromium without errors."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from ops_support import reset, wire

from etl.core.config import Settings
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.read import report
from etl.steps import pipeline
from etl.store import coverage, health

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def _row(day: date, status: str, loaded: int, health_state: str = "ok") -> coverage.DayCoverage:
    return coverage.DayCoverage("kazinform", day, status, None, 1, loaded + 2, loaded, 1, 1, loaded, loaded, 0,
                                loaded, loaded, 1, 2 if health_state == "unhealthy" else 0, health_state,
                                "kazinform x unhealthy: body: fill rate 0% (baseline 100%)"
                                if health_state == "unhealthy" else None)


def test_render_is_self_contained_and_escapes_text() -> None:
    items = [_row(date(2026, 1, 1), "complete", 24), _row(date(2026, 1, 3), "partial", 3, "unhealthy")]
    failed = [report.FailedRun("kazinform", date(2026, 1, 2), "run-<1>", "crawl: <script>alert(1)</script>")]
    page = report.render(items, failed, datetime(2026, 1, 4, tzinfo=UTC))
    assert page.count("<svg") == 6
    assert "kazinform 2026-01-02: never-run" in page  # the missing day is in the heatmap
    assert "&lt;script&gt;alert(1)" in page and "<script>alert" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external resources"
    assert "body: fill rate 0%" in page


def _card(page: str, label: str) -> int:
    match = re.search(rf'<div class="card"><b>(\d+)</b>{re.escape(label)}</div>', page)
    assert match, label
    return int(match.group(1))


def test_cards_count_days_and_health_failures() -> None:
    """"days complete" counts days (all sources complete and healthy), not source-days; unhealthy is a failure."""
    one, two = date(2026, 1, 1), date(2026, 1, 2)
    items = [_row(one, "complete", 24), dataclasses.replace(_row(one, "complete", 4), source="egemen"),
             _row(two, "complete", 24, "unhealthy"), dataclasses.replace(_row(two, "complete", 4), source="egemen")]
    page = report.render(items, [], datetime(2026, 1, 4, tzinfo=UTC))
    assert _card(page, "days complete for all 2 source(s)") == 1
    assert _card(page, "source-days complete") == 3
    assert _card(page, "source-days failed or unhealthy") == 1
    assert f'fill="{report.STATUS_COLORS["unhealthy"]}"><title>kazinform 2026-01-02: complete' in page


def test_many_series_and_days_stay_distinct_and_narrow() -> None:
    """16 series get 16 colours; a year between one stray run and the rest does not stretch the charts."""
    names = [f"s{i}" for i in range(16)]
    assert len(set(report.series_colors(names).values())) == 16
    assert len(set(report.series_colors(names[:8]).values())) == 8
    days = [date(2025, 1, 20), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]
    items = [dataclasses.replace(_row(day, "complete", 5), source=f"src{i}") for day in days for i in range(8)]
    page = report.render(items, [], datetime(2026, 1, 4, tzinfo=UTC))
    widths = [int(w) for w in re.findall(r'<svg role="img"[^>]* width="(\d+)"', page)]
    assert widths and max(widths) <= report.MAX_WIDTH
    assert "4 day(s)" in page and "344 days without any run left out" in page
    assert len(page.encode("utf-8")) < 200_000
    long_range = [_row(date(2025, 1, 1) + timedelta(days=i), "complete", 5) for i in range(365)]
    widths = [int(w) for w in re.findall(r'<svg role="img"[^>]* width="(\d+)"',
                                         report.render(long_range, [], datetime(2026, 1, 4, tzinfo=UTC)))]
    assert max(widths) <= report.MAX_WIDTH


@pytest.mark.integration
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed (`apt-get install chromium`; .ci/run installs it and never skips)")
def test_report_renders_in_headless_chromium(settings: Settings, tmp_path: Path) -> None:
    reset(settings)
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(settings, replay)
        for day in (date(2025, 12, 31), date(2026, 1, 1)):
            pipeline.ingest_day(wired, "kazinform", day)
            health.check_day(wired, "kazinform", day)
    page = report.build(wired.require_database_url(), ["kazinform"], date(2025, 12, 30), date(2026, 1, 2))
    # The range is cut to the days with runs; kazinform's one-paragraph-long days are healthy.
    assert "2025-12-31 to 2026-01-01; 1 source(s), 2 day(s)" in page
    assert "kazinform 2025-12-31: complete" in page and "2026-01-02" not in page
    assert _card(page, "source-days failed or unhealthy") == 0 and _card(page, "days complete for all 1 source(s)") == 2
    out = tmp_path / "report.html"
    out.write_text(page, encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    common = [CHROMIUM or "chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]

    def body_tag(path: Path) -> str:
        dom = subprocess.run([*common, "--dump-dom", path.as_uri()], capture_output=True, text=True, timeout=90,
                             check=True).stdout
        match = re.search(r"<body[^>]*>", dom)
        return match.group(0) if match else dom[:500]

    assert body_tag(out) == '<body data-rendered="ok">'
    broken = tmp_path / "broken.html"  # the error marker works: a script error shows on <body>
    broken.write_text(page.replace("</body>", "<script>notDefined()</script></body>"), encoding="utf-8")
    assert "data-js-errors" in body_tag(broken)
    shot = tmp_path / "report.png"
    subprocess.run([*common, f"--screenshot={shot}", "--window-size=1200,1600", out.as_uri()], capture_output=True,
                   timeout=90, check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    keep = Path("/tmp/newsarchive-report-test.png")
    shutil.copyfile(shot, keep)
