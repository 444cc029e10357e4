"""NUR.KZ (kaz.) and Azattyq: fixtures, spiders from bytes, parser special cases, and end to end on the replay site."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import psycopg2
import pytest
import scrapy
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse, XmlResponse

from etl.core.config import Settings
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.sources import AZATTYQ, NUR, SOURCES, Archive, SitemapIndex, extract_article
from etl.steps import pipeline
from scrapers.run import run_crawl
from scrapers.spiders.listings import parse_item_date
from scrapers.spiders.sources import SPIDERS

REPO = Path(__file__).resolve().parents[1]
NUR_DAYS = json.loads((REPO / "fixtures" / "nur" / "days.json").read_text(encoding="utf-8"))
AZ_DAYS = json.loads((REPO / "fixtures" / "azattyq" / "days.json").read_text(encoding="utf-8"))
NUR_SITE = DEFAULT_ROOT / "kaz.nur.kz"
AZ_SITE = DEFAULT_ROOT / "www.azattyq.org"
DAY_START = "2026-01-01T00:00:00+05:00"
DAY_END = "2026-01-02T00:00:00+05:00"
LATEST = next(method for method in NUR.discovery if isinstance(method, Archive))
NUR_INDEX = next(method for method in NUR.discovery if isinstance(method, SitemapIndex))


def urls_of(days: dict[str, Any], *names: str) -> set[str]:
    """The fixture article URLs of the named days."""
    return {url for name in names for url in days["days"][name]["articles"]}


def scheduled(results: Iterator[Any] | None) -> list[str]:
    """The URLs of the requests a callback yielded."""
    return [request.url for request in results or () if isinstance(request, scrapy.Request)]


def response(cls: type[TextResponse], url: str, path: Path) -> TextResponse:
    """A response for `url` carrying the bytes of a replay file."""
    return cls(url=url, body=path.read_bytes(), encoding="utf-8")


# -- fixtures ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["nur", "azattyq"])
def test_fixture_generator_is_deterministic_and_committed(source: str, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "fixtures" / source / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(written) > 30
    for path in written:
        relative = path.relative_to(tmp_path)
        assert (REPO / relative).read_bytes() == path.read_bytes(), f"stale fixture: {relative}"


@pytest.mark.parametrize("days", [NUR_DAYS, AZ_DAYS], ids=["nur", "azattyq"])
def test_fixture_days_cover_three_days_and_ten_articles(days: dict[str, Any]) -> None:
    assert sorted(days["days"]) == ["2025-12-31", "2026-01-01", "2026-01-02"]
    assert all(days["days"][day]["articles"] for day in days["days"])
    assert len(urls_of(days, *days["days"])) >= 10
    source = SOURCES[days["source"]]
    assert all(source.is_article_url(url) for url in urls_of(days, *days["days"]))
    assert days["special"]["markup_2025"] and days["special"]["markup_2026"]


@pytest.mark.parametrize("days", [NUR_DAYS, AZ_DAYS], ids=["nur", "azattyq"])
def test_republishes_a_kazinform_article_as_a_near_duplicate(days: dict[str, Any]) -> None:
    [(original_url, copy_url)] = days["near_duplicates"]
    kaz_path = (
        REPO
        / "fixtures"
        / "replay"
        / "kaz.inform.kz"
        / original_url.split("kaz.inform.kz/")[1]
        / "index.html"
    )
    original = extract_article("kazinform", original_url, kaz_path.read_bytes())
    copy_url_path = DEFAULT_ROOT / days["host"] / copy_url.split(f"{days['host']}/")[1]
    copy_path = copy_url_path / "index.html" if copy_url_path.is_dir() else copy_url_path
    copy = extract_article(days["source"], copy_url, copy_path.read_bytes())
    shared = set(original.paragraphs[1:]) & set(copy.paragraphs)
    assert len(shared) == len(original.paragraphs) - 1, "the body after the dateline paragraph is reused"
    assert copy.paragraphs[0] not in original.paragraphs, "a new lead"
    assert copy.body != original.body and copy.title != original.title or copy.source != original.source


# -- parsers: special cases beyond the golden files ----------------------------------------------------------


def _page(days: dict[str, Any], kind: str) -> tuple[str, bytes]:
    url = days["special"][kind][0]
    host = days["host"]
    relative = url.split(f"{host}/", 1)[1]
    path = DEFAULT_ROOT / host / relative
    return url, (path / "index.html" if path.is_dir() else path).read_bytes()


def test_azattyq_page_without_jsonld_uses_meta_and_selectors() -> None:
    url, html = _page(AZ_DAYS, "no_jsonld")
    article = extract_article("azattyq", url, html)
    assert article.methods["title"] == "meta"
    assert article.methods["published_at"] == "selectors" and article.methods["author"] == "selectors"
    assert article.published_at is not None and article.published_at.utcoffset() is not None
    assert article.canonical_url == url and not url.endswith("/")


def test_azattyq_author_list_of_two_people() -> None:
    url, html = _page(AZ_DAYS, "two_authors")
    article = extract_article("azattyq", url, html)
    assert article.methods["author"] == "jsonld"
    assert article.author is not None and len(article.author.split(", ")) == 2


def test_nur_page_without_dates_reads_the_visible_local_time() -> None:
    url, html = _page(NUR_DAYS, "no_dates")
    article = extract_article("nur", url, html)
    assert article.methods["published_at"] == "selectors"
    assert article.published_raw == "1 қаңтар 2026, 10:30"
    assert article.published_at == datetime.fromisoformat("2026-01-01T05:30:00+00:00")


# -- spiders from bytes ---------------------------------------------------------------------------------------


def test_nur_feed_keeps_only_items_of_the_interval() -> None:
    spider = SPIDERS["nur"](start=DAY_START, end=DAY_END)
    feed = response(XmlResponse, "https://kaz.nur.kz/rss/all.rss", NUR_SITE / "rss" / "all.rss")
    urls = set(scheduled(spider.parse_feed(feed)))
    assert urls and urls <= urls_of(NUR_DAYS, "2026-01-01")
    assert spider.out_interval, "the feed also holds 2026-01-02 items"


def test_nur_latest_listing_stops_once_past_the_interval() -> None:
    spider = SPIDERS["nur"](start=DAY_START, end=DAY_END)
    page1 = response(
        HtmlResponse, "https://kaz.nur.kz/latest/?page=1", NUR_SITE / "latest" / "index.html@page=1"
    )
    assert scheduled(spider.parse_archive(page1, LATEST, page=1)) == ["https://kaz.nur.kz/latest/?page=2"]
    page2 = response(
        HtmlResponse, "https://kaz.nur.kz/latest/?page=2", NUR_SITE / "latest" / "index.html@page=2"
    )
    urls = scheduled(spider.parse_archive(page2, LATEST, page=2))
    next_page = "https://kaz.nur.kz/latest/?page=3"
    assert set(urls) == urls_of(NUR_DAYS, "2026-01-01") | {next_page}, (
        "page 2 ends at 00:20: not past the interval"
    )
    page3 = response(
        HtmlResponse, "https://kaz.nur.kz/latest/?page=3", NUR_SITE / "latest" / "index.html@page=3"
    )
    assert scheduled(spider.parse_archive(page3, LATEST, page=3)) == [], "page 3 is older than the interval: stop"


def test_nur_sitemap_index_picks_the_months_of_the_interval() -> None:
    spider = SPIDERS["nur"](start="2025-12-31T00:00:00+05:00", end="2026-01-03T00:00:00+05:00")
    index = response(
        XmlResponse, "https://kaz.nur.kz/article-index-sitemap.xml", NUR_SITE / "article-index-sitemap.xml"
    )
    children = scheduled(spider.parse_sitemap_index(index, NUR_INDEX))
    assert [url.rsplit("/", 1)[1] for url in children] == [
        "article-sitemap-2025-12.xml",
        "article-sitemap-2026-01.xml",
    ]
    urls: set[str] = set()
    for child in children:
        name = child.rsplit("/", 1)[1]
        urls |= set(
            scheduled(spider.parse_sitemap(response(XmlResponse, child, NUR_SITE / "sitemaps" / name)))
        )
    assert urls == urls_of(NUR_DAYS, *NUR_DAYS["days"])


def test_nur_frozen_child_lastmod_does_not_hide_its_month() -> None:
    spider = SPIDERS["nur"](start=DAY_START, end=DAY_END)
    body = b"".join(
        b"<sitemap><loc>https://kaz.nur.kz/sitemaps/%s</loc><lastmod>2025-06-01T00:00:00Z</lastmod></sitemap>" % name
        for name in (b"article-sitemap-2026-01.xml", b"old.xml")
    )
    index = XmlResponse(url=NUR_INDEX.url, body=b"<sitemapindex>" + body + b"</sitemapindex>",
                        request=Request(NUR_INDEX.url))
    assert scheduled(spider.parse_sitemap_index(index, NUR_INDEX)) == [
        "https://kaz.nur.kz/sitemaps/article-sitemap-2026-01.xml"
    ]


def test_azattyq_archive_dates_and_pagination() -> None:
    assert parse_item_date("1 қаңтар 2026") == date(2026, 1, 1)
    assert parse_item_date("31 желтоқсан 2025") == date(2025, 12, 31)
    assert parse_item_date("жақында") is None
    spider = SPIDERS["azattyq"](start=DAY_START, end=DAY_END)
    pending, pages, articles = ["https://www.azattyq.org/z/330"], [], set()
    while pending:
        url = pending.pop()
        page = int(url.rsplit("=", 1)[1]) if "?p=" in url else 0
        name = "index.html" + (f"@p={page}" if page else "")
        pages.append(page)
        for next_url in scheduled(
            spider.parse_archive(
                response(HtmlResponse, url, AZ_SITE / "z" / "330" / name), AZATTYQ.discovery[0], page=page
            )
        ):
            (pending.append(next_url) if "/z/" in next_url else articles.add(next_url))
    last = (AZ_SITE / "z" / "330" / f"index.html@p={pages[-1]}").read_text(encoding="utf-8")
    assert "желтоқсан 2025" in last, "the walk stops at the first page reaching past the interval"
    assert (AZ_SITE / "z" / "330" / f"index.html@p={pages[-1] + 1}").exists(), "...not at the archive's end"
    assert articles and articles <= urls_of(AZ_DAYS, "2026-01-01")
    assert articles == {u for u in urls_of(AZ_DAYS, "2026-01-01") if u in spider.in_interval}


def test_azattyq_article_urls_keep_no_trailing_slash() -> None:
    spider = SPIDERS["azattyq"](start=DAY_START, end=DAY_END)
    assert (
        spider.article_url("http://www.azattyq.org/a/33640190.html?ref=x#top")
        == "https://www.azattyq.org/a/33640190.html"
    )
    assert spider.article_url("https://www.azattyq.org/a/slug/1234.html") is None
    assert AZATTYQ.article_id("https://www.azattyq.org/a/some-slug/33640101.html") == "33640101"
    assert NUR.article_id("https://kaz.nur.kz/society/2260011-zhana/") == "2260011"


# -- end to end on the replay site ----------------------------------------------------------------------------

integration = pytest.mark.integration


@pytest.fixture
def replay_root(tmp_path: Path) -> Path:
    """A private copy of the NUR and Azattyq replay hosts, so a test may change pages."""
    root = tmp_path / "replay"
    for host in ("kaz.nur.kz", "www.azattyq.org"):
        shutil.copytree(DEFAULT_ROOT / host, root / host)
    return root


@pytest.fixture
def wired(settings: Settings, replay_root: Path) -> Iterator[Settings]:
    """Settings sending both hosts to a replay server on the private copy, without delays."""
    with ReplayServer(replay_root) as server:
        yield dataclasses.replace(
            settings,
            download_delay=0.0,
            host_overrides=MappingProxyType(
                {"kaz.nur.kz": server.base_url, "www.azattyq.org": server.base_url}
            ),
        )


def loaded_urls(settings: Settings) -> set[str]:
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute("SELECT canonical_url FROM articles")
        return {row[0] for row in cur.fetchall()}


@integration
@pytest.mark.parametrize("days", [NUR_DAYS, AZ_DAYS], ids=["nur", "azattyq"])
def test_ingest_demo_day_loads_exactly_the_fixture_articles(wired: Settings, days: dict[str, Any]) -> None:
    result = pipeline.ingest_day(wired, days["source"], date(2026, 1, 1))
    assert result["status"] == "loaded"
    assert loaded_urls(wired) == urls_of(days, "2026-01-01")
    assert result["loaded_new"] == len(urls_of(days, "2026-01-01"))
    assert result["fallback_used"] == 0


@integration
@pytest.mark.parametrize("days", [NUR_DAYS, AZ_DAYS], ids=["nur", "azattyq"])
def test_three_day_backfill_discovers_exactly_the_fixture_articles(
    wired: Settings, days: dict[str, Any], tmp_path: Path
) -> None:
    source = SOURCES[days["source"]]
    output = run_crawl(
        source,
        datetime.fromisoformat("2025-12-31T00:00:00+05:00"),
        datetime.fromisoformat("2026-01-03T00:00:00+05:00"),
        tmp_path / "run",
        "backfill-3d",
        wired,
    )
    manifest = json.loads(output.manifest_path.read_text(encoding="utf-8"))
    fetched = {r["url"] for r in manifest["records"] if r["kind"] == "article" and r["outcome"] == "ok"}
    expected = urls_of(days, *days["days"])
    assert fetched == expected
    assert output.counts["discovered"] == len(expected) and output.counts["fetched"] == len(expected)


@integration
def test_broken_body_selector_falls_back_to_generic_and_is_counted(
    wired: Settings, replay_root: Path
) -> None:
    for page in (replay_root / "www.azattyq.org" / "a").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        page.write_text(
            html.replace('class="wsw"', 'class="story"').replace('class="article-text"', 'class="story"'),
            encoding="utf-8",
        )
    result = pipeline.ingest_day(wired, "azattyq", date(2026, 1, 2))
    expected = urls_of(AZ_DAYS, "2026-01-02")
    assert result["extracted"] == len(expected)
    assert result["fallback_used"] == result["extracted"]
    assert loaded_urls(wired) == expected
    with psycopg2.connect(wired.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute("SELECT canonical_url, body FROM articles WHERE extraction->>'body' = 'generic'")
        rows = cur.fetchall()
    truths = {
        json.loads(path.read_text(encoding="utf-8"))["url"]: json.loads(path.read_text(encoding="utf-8"))
        for path in (REPO / "tests" / "golden" / "azattyq").glob("*.truth.json")
    }
    assert len(rows) == len(expected)
    for url, body in rows:
        assert truths[url]["paragraphs"][0] in body, f"generic body of {url} lacks the article text"
