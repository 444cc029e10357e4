"""A crawl that reached nothing (every request unanswered or blocked) is a failed run with one line naming the
cause, never `loaded` with 0 articles; a day whose articles were all archived before stays `loaded`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import date

import pytest
from ops_support import REPO, query, reset, wire

from etl.core.config import Settings
from etl.dev.local import replay_overrides
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.dev.services.manager import service_env
from etl.steps import pipeline
from etl.steps.crawl import nothing_answered


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def test_nothing_answered_names_the_cause() -> None:
    refused = {"url": "https://x/robots.txt", "status": 0, "outcome": "http_error", "error": "ConnectionRefused"}
    assert "none of 2 requests got an answer" in (nothing_answered([refused, refused]) or "")
    assert "first error: ConnectionRefused" in (nothing_answered([refused]) or "")
    blocked = {"url": "https://x/feed", "status": 403, "outcome": "blocked"}
    assert nothing_answered([refused, blocked]) == "every request was blocked or unanswered (1 x no answer, 1 x HTTP 403)"
    assert nothing_answered([{"status": 404, "outcome": "http_error"}]) == "no request succeeded (1 x HTTP 404)"
    robots = {"url": "https://x/robots.txt", "kind": "robots", "status": 200, "outcome": "ok"}
    assert nothing_answered([robots, blocked, blocked]) == "every request was blocked or unanswered (2 x HTTP 403)"
    assert nothing_answered([robots]) is None  # nothing else was asked for
    assert "none of 1 requests" in (nothing_answered([dict(refused, kind="robots")]) or "")
    feed = {"url": "https://x/feed", "status": 200, "outcome": "ok"}  # a day of known articles: reached
    assert nothing_answered([refused, blocked, feed]) is None
    assert nothing_answered([]) is None


@pytest.mark.integration
def test_ingest_of_an_unreachable_site_fails_with_one_line(settings: Settings) -> None:
    reset(settings)
    unreachable = f"http://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "PYTHONPATH": str(REPO), **service_env(settings),
           "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
           "NEWSARCHIVE_HOST_OVERRIDES": replay_overrides(unreachable)}
    done = subprocess.run([sys.executable, "-m", "etl.cli.main", "ingest", "--source", "kazinform", "--date",
                           "2026-01-01"], env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    failures = [line for line in done.stderr.splitlines() if line.startswith("newsarchive: ")]
    assert len(failures) == 1, done.stderr[-3000:]
    assert failures[0].startswith("newsarchive: failed: crawl of kazinform 2026-01-01"), failures
    assert "nothing fetched: none of" in failures[0] and "got an answer" in failures[0], failures
    assert "Connection" in failures[0], failures
    assert done.returncode == 1 and done.stdout == ""
    assert query(settings, "SELECT status, loaded_new FROM crawl_runs") == [("failed", 0)]


@pytest.mark.integration
def test_a_day_of_known_articles_stays_loaded(settings: Settings) -> None:
    reset(settings)
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(settings, replay)
        pipeline.ingest_day(wired, "kazinform", date(2026, 1, 1))
        again = pipeline.ingest_day(wired, "kazinform", date(2026, 1, 1))
    assert again["status"] == "loaded" and again["fetched"] == 0 and again["skipped_known"] > 0
