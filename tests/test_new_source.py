"""A source defined only in tests (tests/example_source.py: spec + parser; replay files written here) runs end
to end through NEWSARCHIVE_SOURCE_MODULES, and its spec's politeness (delay, concurrency) holds on each host."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import MappingProxyType
from typing import Any

import psycopg2
import pytest
from scrapy.settings import Settings as ScrapySettings

import etl.sources.registry as registry
from etl.core.config import Settings, load_settings
from etl.core.errors import SettingsError
from etl.dev.replay.server import ReplayServer
from etl.sources import SOURCES, get_source, register_modules
from etl.steps import pipeline
from etl.store.migrate import migrate
from scrapers.run import run_crawl
from scrapers.spiders.base import host_slots

TESTS = Path(__file__).resolve().parent
DAY = date(2026, 1, 1)
STORIES = {  # id: (host, local time on DAY)
    "101": ("news.example.test", "09:00"), "102": ("news.example.test", "10:00"),
    "103": ("news.example.test", "11:00"), "201": ("media.example.test", "09:30"),
    "202": ("media.example.test", "10:30"), "203": ("media.example.test", "11:30"),
}
OLD = ("104", "news.example.test")  # in the feed, but of the day before


def page(story: str, stamp: str) -> str:
    return (f'<!DOCTYPE html><html lang="kk"><head><meta charset="utf-8"><title>Story {story}</title></head>'
            f'<body><h1>Хабар {story}</h1><time datetime="{stamp}">{stamp}</time><div class="story">'
            f"<p>Бірінші абзац, хабар {story}, жаңа жылдың алғашқы күні туралы.</p>"
            f"<p>Екінші абзац: бұл мәтін тек сынаққа арналған, хабар {story}.</p></div></body></html>")


def write_site(root: Path) -> None:
    """The replay site of the example source: a feed on news., article pages on both hosts."""
    items = []
    for story, (host, clock) in [*STORIES.items(), (OLD[0], (OLD[1], "23:00"))]:
        day = DAY - timedelta(days=1) if story == OLD[0] else DAY
        stamp = f"{day.isoformat()}T{clock}:00+05:00"
        target = root / host / "a" / story / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page(story, stamp), encoding="utf-8")
        moment = datetime.fromisoformat(stamp)
        items.append(f"<item><link>https://{host}/a/{story}/</link>"
                     f"<pubDate>{moment:%a, %d %b %Y %H:%M:%S %z}</pubDate></item>")
    feed = root / "news.example.test" / "feed.xml"
    feed.write_text(f'<?xml version="1.0"?><rss><channel>{"".join(items)}</channel></rss>', encoding="utf-8")


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Register tests/example_source.py as a user would: NEWSARCHIVE_SOURCE_MODULES (and undo it after)."""
    monkeypatch.setenv("NEWSARCHIVE_SOURCE_MODULES", "example_source")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, (str(TESTS), os.environ.get("PYTHONPATH")))))
    monkeypatch.setattr(registry, "_loaded_modules", set())
    register_modules(load_settings().source_modules)
    yield get_source("example")
    SOURCES.pop("example", None)


def test_spec_politeness_becomes_download_slots(example: Any) -> None:
    from scrapers.spiders.sources import spider_class

    cls = spider_class(example)
    settings = ScrapySettings({"NEWSARCHIVE_DOWNLOAD_DELAY": None})
    cls.update_settings(settings)
    assert settings.getdict("DOWNLOAD_SLOTS") == host_slots(example, None)
    assert {slot["delay"] for slot in host_slots(example, None).values()} == {0.5}
    overridden = ScrapySettings({"NEWSARCHIVE_DOWNLOAD_DELAY": "0"})
    cls.update_settings(overridden)
    assert {slot["delay"] for slot in overridden.getdict("DOWNLOAD_SLOTS").values()} == {0.0}


@pytest.mark.integration
def test_a_source_defined_in_tests_runs_end_to_end(
    settings: Settings, example: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Spec + parser module + replay files, nothing else: crawl -> archive -> extract -> load, and the spec's
    0.5 s delay separates the requests to each host while the two hosts do not wait for each other."""
    migrate(settings.require_database_url())  # the `sources` row comes from the spec
    write_site(tmp_path / "site")
    caplog.set_level(logging.INFO, logger="etl.dev.replay.server")
    with ReplayServer(tmp_path / "site") as replay:
        hosts = MappingProxyType({host: replay.base_url for host in example.hosts})
        wired = dataclasses.replace(settings, host_overrides=hosts, download_delay=None, autothrottle=False)
        result = pipeline.ingest_day(wired, "example", DAY)
    assert result["status"] == "loaded" and result["loaded_new"] == len(STORIES)
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute("SELECT article_id, canonical_url, title, extractor_version FROM articles WHERE source = 'example'")
        rows = sorted(cur.fetchall())
    assert rows == [(story, f"https://{host}/a/{story}/", f"Хабар {story}", "example-1")
                    for story, (host, _) in sorted(STORIES.items())]

    times: dict[str, list[float]] = {}
    for record in caplog.records:
        match = re.match(r"replay GET (\S+?)/", record.getMessage())
        if match:
            times.setdefault(match[1], []).append(record.created)
    assert set(times) == set(example.hosts)
    for host, stamps in times.items():
        gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:], strict=False)]
        assert len(gaps) >= 3 and min(gaps) >= 0.45, f"{host}: requests {gaps} apart, the spec says 0.5 s"
    both = sorted((stamp, host) for host, stamps in times.items() for stamp in stamps)
    cross = [b[0] - a[0] for a, b in zip(both, both[1:], strict=False) if a[1] != b[1]]
    assert min(cross) < 0.4, "each host has its own slot: the other host's requests do not wait for it"


class SlowSite(ThreadingHTTPServer):
    """Serves the files of `root/<Host>/` after `pause` seconds and records the most requests in flight per host."""

    def __init__(self, root: Path, pause: float) -> None:
        self.root, self.pause, self.lock = root, pause, threading.Lock()
        self.in_flight: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        super().__init__(("127.0.0.1", 0), SlowHandler)


class SlowHandler(BaseHTTPRequestHandler):
    server: SlowSite

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        site, host = self.server, (self.headers.get("Host") or "").split(":")[0]
        with site.lock:
            site.in_flight[host] += 1
            site.peak[host] = max(site.peak[host], site.in_flight[host])
        try:
            time.sleep(site.pause)
            path = site.root / host / self.path.split("?", 1)[0].lstrip("/")
            path = path / "index.html" if path.is_dir() else path
            body = path.read_bytes() if path.is_file() else b""
            self.send_response(200 if path.is_file() else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with site.lock:
                site.in_flight[host] -= 1

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def slow_site(tmp_path: Path) -> Iterator[SlowSite]:
    write_site(tmp_path / "slow")
    server = SlowSite(tmp_path / "slow", pause=0.3)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_spec_concurrency_holds_per_host_even_without_delay(example: Any, slow_site: SlowSite, tmp_path: Path) -> None:
    """`concurrency_per_host=1`: with the delay overridden to 0 and slow answers, never two requests in flight
    to one host (the global CONCURRENT_REQUESTS_PER_DOMAIN = 2 used to allow two), both hosts busy at once."""
    base = f"http://127.0.0.1:{slow_site.server_address[1]}"
    settings = dataclasses.replace(load_settings({}, env_file=None), download_delay=0.0, autothrottle=False,
                                   host_overrides=MappingProxyType({host: base for host in example.hosts}))
    start = datetime.fromisoformat("2026-01-01T00:00:00+05:00")
    output = run_crawl(example, start, start + timedelta(days=1), tmp_path / "run", "example-slow", settings)
    assert output.counts["fetched"] == len(STORIES)
    assert slow_site.peak == {host: 1 for host in example.hosts}


def test_bad_source_modules_are_one_line_settings_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_loaded_modules", set())
    with pytest.raises(SettingsError, match="cannot import 'no_such_module'"):
        register_modules(["no_such_module"])
    with pytest.raises(SettingsError, match="etl.core.urls has no SOURCES tuple"):
        register_modules(["etl.core.urls"])
    clash = dataclasses.replace(SOURCES["egemen"], display_name="another Egemen")
    with pytest.raises(SettingsError, match="two source specs are named 'egemen'"):
        registry.register(clash)
    assert SOURCES["egemen"].display_name == "Egemen Qazaqstan"


def test_sources_command_lists_a_configured_module(example: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from etl.cli import main as cli

    assert cli.main(["sources", "--source", "example"]) == 0
    out = capsys.readouterr().out
    assert "example  (Example News (test only), disabled)" in out
    assert "politeness:  0.5 s between requests, 1 at a time per host" in out
