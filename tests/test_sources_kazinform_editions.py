"""Kazinform's qz., ru. and en. editions: registry, parsers, spiders from the fixture bytes, generator output, and
per edition one end-to-end run (ingest of the demo day + 3-day backfill discovery) on the replay site."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import psycopg2
import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, XmlResponse

from etl.core.config import Settings
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.extract import Page
from etl.extract.kazinform import KazinformV2026
from etl.extract.kazinform_editions import KAZINFORM_QZ_PARSERS
from etl.sources import (
    KAZINFORM_EN,
    KAZINFORM_QZ,
    KAZINFORM_RU,
    SOURCES,
    DatedListing,
    Feed,
    Source,
    extract_article,
    get_source,
)
from etl.steps import pipeline
from scrapers.run import run_crawl
from scrapers.spiders.discovery import SourceSpider
from scrapers.spiders.sources import SPIDERS
from scrapers.warc import KIND_META

REPO = Path(__file__).resolve().parents[1]
EDITIONS = ("kazinform_en", "kazinform_qz", "kazinform_ru")
DAY = date(2026, 1, 1)


def days_of(source: str) -> dict[str, Any]:
    return json.loads((REPO / "fixtures" / source / "days.json").read_text(encoding="utf-8"))


def make_spider(source: str, start: str = "2026-01-01T00:00:00+05:00",
                end: str = "2026-01-02T00:00:00+05:00") -> SourceSpider:
    return SPIDERS[source](start=start, end=end)


def feed_of(source: str) -> Feed:
    return next(method for method in get_source(source).discovery if isinstance(method, Feed))


def lenta_of(source: str) -> DatedListing:
    return next(method for method in get_source(source).discovery if isinstance(method, DatedListing))


def replay_file(host: str, path: str) -> bytes:
    return (DEFAULT_ROOT / host / path).read_bytes()


# -- registry and parsers -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", EDITIONS)
def test_edition_is_registered_with_spider_and_parser(source: str) -> None:
    registered = get_source(source)
    assert registered is SOURCES[source] and registered.spider == source == SPIDERS[source].name
    assert registered.parser.default.VERSION.startswith(source)
    assert registered.unconfirmed, "the RSS paths are not confirmed on a live run"


@pytest.mark.parametrize(("source", "url", "article_id"), [
    (KAZINFORM_QZ, "https://qz.inform.kz/news/jana-jyl-a1b001/", "a1b001"),
    (KAZINFORM_RU, "https://www.inform.kz/ru/novyy-god-b2c0f0", "b2c0f0"),
    (KAZINFORM_RU, "https://www.inform.kz/ru/novyy-god-b2c0f012/", "b2c0f012"),
    (KAZINFORM_EN, "https://en.inform.kz/news/oil-spill-detected-in-caspian-sea-6544df/", "6544df"),
    (KAZINFORM_RU, "https://www.inform.kz/kz/novyy-god-b2c0f0", None),
    (KAZINFORM_RU, "https://www.inform.kz/ru/lenta", None),
    (KAZINFORM_EN, "https://kaz.inform.kz/news/oil-6544df/", None),
])
def test_article_url_pattern_and_id(source: Source, url: str, article_id: str | None) -> None:
    assert source.article_id(url) == article_id


def test_latin_kazakh_dateline_needs_the_qz_version() -> None:
    """`AQTÓBE` has a letter outside A-Z: the kaz. rule misses the place, the qz. rule reads it."""
    html = ('<html lang="kk"><head></head><body><h1>Aqtóbe</h1><div class="article__content">'
            "<p>AQTÓBE. KAZINFORM – Aqtóbede shyrsha jaryǵy jandy.</p></div></body></html>")
    page = Page.load(KAZINFORM_QZ, "https://qz.inform.kz/news/aqtobe-a1b004/", html)
    assert KAZINFORM_QZ_PARSERS.pick(page)(page).parse().dateline_place == "AQTÓBE"
    assert KazinformV2026(page).parse().dateline_place is None


@pytest.mark.parametrize(("source", "visible", "utc"), [
    ("kazinform_ru", "23:55, 31 Декабря 2025 | GMT +5", "2025-12-31T18:55:00+00:00"),
    ("kazinform_ru", "16:45, 1 Январь 2026 | GMT +5", "2026-01-01T11:45:00+00:00"),
    ("kazinform_qz", "11:40, 1 Qańtar 2026 | GMT +5", "2026-01-01T06:40:00+00:00"),
    ("kazinform_en", "16:45, 1 January 2026 | GMT +5", "2026-01-01T11:45:00+00:00"),
])
def test_visible_time_in_the_edition_language(source: str, visible: str, utc: str) -> None:
    host = get_source(source).base_url
    path = "/ru/x-abc123" if source == "kazinform_ru" else "/news/x-abc123/"
    html = (f'<html><body><h1>T</h1><div class="article__time">{visible}</div>'
            '<div class="article__body-text"><p>Text.</p></div></body></html>')
    article = extract_article(source, host.removesuffix("/ru") + path, html, fetched_at=datetime(2026, 1, 3))
    assert article.published_at is not None and article.published_at.isoformat() == utc
    assert article.published_raw == visible and article.methods["published_at"] == "selectors"


# -- spiders from the fixture bytes ---------------------------------------------------------------------


@pytest.mark.parametrize("source", EDITIONS)
def test_spider_starts_with_the_edition_feed_and_lenta(source: str) -> None:
    spider = make_spider(source)

    async def collect() -> list[Request]:
        return [request async for request in spider.start()]

    urls = [request.url for request in asyncio.run(collect())]
    assert urls == [feed_of(source).url, lenta_of(source).page_url(DAY.isoformat(), 1)]
    assert all(get_source(source).hosts[0] in url for url in urls)


@pytest.mark.parametrize("source", EDITIONS)
def test_feed_schedules_exactly_the_day_articles(source: str) -> None:
    spider, days = make_spider(source), days_of(source)
    feed_url = feed_of(source).url
    body = replay_file(days["host"], feed_url.split(days["host"], 1)[1].lstrip("/"))
    requests = list(spider.parse_feed(XmlResponse(url=feed_url, body=body, request=Request(feed_url))))
    assert sorted(r.url for r in requests) == days["days"]["2026-01-01"]["articles"]
    assert all(r.meta[KIND_META] == "article" for r in requests)
    assert spider.counts()["out_of_interval"] == sum(len(d["articles"]) for d in days["days"].values()) - len(requests)


@pytest.mark.parametrize("source", EDITIONS)
def test_dated_lenta_lists_the_day_and_stops_past_the_last_page(source: str) -> None:
    spider, days = make_spider(source), days_of(source)
    lenta = lenta_of(source)
    base = lenta.url.split(days["host"], 1)[1].split("?")[0].strip("/") + "/index.html"
    name = f"{base}@end_date=2026-01-01&page={{}}&start_date=2026-01-01"
    first, second = (replay_file(days["host"], name.format(n)) for n in (1, 2))
    url1, url2 = lenta.page_url(DAY.isoformat(), 1), lenta.page_url(DAY.isoformat(), 2)
    out = list(spider.parse_listing(HtmlResponse(url=url1, body=first, request=Request(url1)), lenta, DAY, 1))
    articles = [r for r in out if r.meta[KIND_META] == "article"]
    assert sorted(r.url for r in articles) == days["days"]["2026-01-01"]["articles"]
    assert [r.url for r in out if r.meta[KIND_META] == "listing"] == [url2]
    assert list(spider.parse_listing(HtmlResponse(url=url2, body=second, request=Request(url2)), lenta, DAY, 2)) == []


def test_russian_article_urls_are_requested_without_trailing_slash() -> None:
    spider = make_spider("kazinform_ru")
    assert spider.article_url("https://www.inform.kz/ru/novyy-god-b2c0f0/?utm=x") == (
        "https://www.inform.kz/ru/novyy-god-b2c0f0"
    )
    assert spider.article_url("https://www.inform.kz/ru/lenta") is None
    assert make_spider("kazinform_en").article_url("https://en.inform.kz/news/a-e1a001") == (
        "https://en.inform.kz/news/a-e1a001/"
    )


def test_russian_canonical_url_is_the_page_own_canonical_link() -> None:
    """One canonicaliser: the spider's request URL, the stored canonical URL and the page's
    `<link rel=canonical>` agree (the parser used to add a trailing slash the Russian edition does not print)."""
    days = days_of("kazinform_ru")
    url = days["days"]["2026-01-01"]["articles"][0]
    html = replay_file(days["host"], url.split(days["host"], 1)[1].lstrip("/") + "/index.html")
    assert f'rel="canonical" href="{url}"'.encode() in html
    article = extract_article("kazinform_ru", url, html)
    assert article.canonical_url == url == make_spider("kazinform_ru").article_url(url + "/?utm=x")
    assert not url.endswith("/")


# -- fixtures -------------------------------------------------------------------------------------------


def test_generator_reproduces_the_committed_fixtures(tmp_path: Path) -> None:
    script = REPO / "fixtures" / "kazinform_editions" / "generate.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(written) > 150
    for path in written:
        rel = path.relative_to(tmp_path)
        assert path.read_bytes() == (REPO / rel).read_bytes(), f"{rel} differs: run the generator"


@pytest.mark.parametrize("source", EDITIONS)
def test_fixture_coverage(source: str) -> None:
    days = days_of(source)
    assert sum(len(d["articles"]) for d in days["days"].values()) >= 10
    assert all(days["special"][kind] for kind in ("no_published_meta", "no_author", "no_dateline", "markup_2025"))
    assert days["republished_pairs"] or days["translations"]


# -- end to end on the replay site ----------------------------------------------------------------------


def wire(settings: Settings, replay: ReplayServer) -> Settings:
    hosts = {host: replay.base_url for source in SOURCES.values() for host in source.hosts}
    return dataclasses.replace(settings, host_overrides=MappingProxyType(hosts), download_delay=0.0)


def query(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def backfill_discovers_the_fixture_days(wired: Settings, source: str, tmp_path: Path) -> None:
    """A 3-day crawl fetches exactly the fixture articles of those days."""
    days = days_of(source)
    start = datetime.fromisoformat("2025-12-31T00:00:00+05:00")
    end = datetime.fromisoformat("2026-01-03T00:00:00+05:00")
    output = run_crawl(get_source(source), start, end, tmp_path / "backfill", f"{source}-backfill", wired)
    manifest = json.loads(output.manifest_path.read_text(encoding="utf-8"))
    fetched = {r["url"] for r in manifest["records"] if r["kind"] == "article" and r.get("outcome") == "ok"}
    expected = {url for day in days["days"].values() for url in day["articles"]}
    assert fetched == expected
    assert output.counts["discovered"] == len(expected) and output.counts["out_of_interval"] == 0


@pytest.mark.integration
@pytest.mark.parametrize("source", EDITIONS)
def test_ingest_demo_day_and_backfill(settings: Settings, source: str, tmp_path: Path) -> None:
    days = days_of(source)
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(settings, replay)
        result = pipeline.ingest_day(wired, source, DAY)
        loaded = query(wired, "SELECT canonical_url, language, extractor_version FROM articles WHERE source = %s",
                       (source,))
        assert sorted(row[0] for row in loaded) == days["days"]["2026-01-01"]["articles"]
        assert result["loaded_new"] == len(loaded) and result["status"] == "loaded"
        assert {row[1] for row in loaded} == {get_source(source).language}
        assert {row[2].rsplit("-", 1)[1] for row in loaded} == {"2025.1", "2026.1"}, "both markups on the demo day"
        duplicates = query(wired, """SELECT a.canonical_url, o.canonical_url FROM articles a
                                     JOIN articles o ON o.id = a.duplicate_of""")
        assert sorted(duplicates) == sorted((copy, original) for original, copy in days["republished_pairs"])
        if days["translations"]:  # the kaz. original loads too, and the translation stays its own article
            pipeline.ingest_day(wired, "kazinform", DAY)
            original, translation = days["translations"][0]
            rows = query(wired, "SELECT duplicate_of FROM articles WHERE canonical_url IN (%s, %s)",
                         (original, translation))
            assert rows == [(None,), (None,)]
        backfill_discovers_the_fixture_days(wired, source, tmp_path)
