"""The HTML run report: self-contained, every chart present, renders in headless Chromium without errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
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
    assert page.count("<svg") == 5
    assert "kazinform 2026-01-02: never-run" in page  # the missing day is in the heatmap
    assert "&lt;script&gt;alert(1)" in page and "<script>alert" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external resources"
    assert "body: fill rate 0%" in page


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
    assert "kazinform 2026-01-02: never-run" in page and "kazinform 2025-12-31: complete" in page
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
