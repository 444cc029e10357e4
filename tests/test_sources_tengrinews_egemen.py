"""Tengrinews (kaz.) and Egemen Qazaqstan: URL patterns, date helpers, spider discovery from bytes, parser
fallbacks, fixture determinism; end to end on the real embedded services and the replay site (a day's
ingest, a 3-day backfill discovery, the Egemen copy of a Kazinform article linked as an exact duplicate);
and the daily DAG, where one failing source leaves the other's tasks successful."""

from __future__ import annotations

import dataclasses
import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from scrapy import Request
from scrapy.http import XmlResponse

from etl.core.config import Settings
from etl.core.dates import parse_day_time
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.sources import EGEMEN, TENGRINEWS, extract_article
from scrapers.spiders.feeds import sitemap_entries
from scrapers.spiders.sources import SPIDERS

REPO = Path(__file__).resolve().parents[1]
ALMATY = ZoneInfo("Asia/Almaty")
TENGRI_DAYS = json.loads((REPO / "fixtures" / "tengrinews" / "days.json").read_text(encoding="utf-8"))
EGEMEN_DAYS = json.loads((REPO / "fixtures" / "egemen" / "days.json").read_text(encoding="utf-8"))
TENGRI_SITE = DEFAULT_ROOT / "kaz.tengrinews.kz"
EGEMEN_SITE = DEFAULT_ROOT / "egemen.kz"


def interval(first: str, days: int = 1) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(first).replace(tzinfo=ALMATY)
    return start, start + timedelta(days=days)


def xml(url: str, path: Path) -> XmlResponse:
    return XmlResponse(url=url, body=path.read_bytes(), request=Request(url))


def urls(requests: Any) -> set[str]:
    return {request.url for request in requests}


# -- sources and dates --------------------------------------------------------------------------------


def test_egemen_accepts_both_url_schemes_keyed_on_the_id() -> None:
    assert EGEMEN.article_id("https://egemen.kz/article/412101-ukimet-bagdarlama") == "412101"
    assert EGEMEN.article_id("https://egemen.kz/news/412101") == "412101"
    assert EGEMEN.article_id("https://egemen.kz/news/412101/") == "412101"
    for other in ("https://egemen.kz/article/412101", "https://egemen.kz/news/412101-slug",
                  "https://egemen.kz/last-news?page=2", "https://www.egemen.kz/news/412101"):
        assert EGEMEN.article_id(other) is None, other
    assert TENGRINEWS.article_id(
        "https://kaz.tengrinews.kz/kazakhstan_news/aral-tenznde-su-kolem-ulgaydyi-364674/") == "364674"
    assert TENGRINEWS.article_id("https://kaz.tengrinews.kz/news/page/2/") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("31 желтоқсан 2025, 08:15", "2025-12-31T03:15:00+00:00"),
    ("02 Қаңтар 2026, 23:40", "2026-01-02T18:40:00+00:00"),
    ("2 января 2026, 09:30", "2026-01-02T04:30:00+00:00"),
    ("Сегодня, 14:20", "2026-01-02T09:20:00+00:00"),
    ("Вчера, 23:50", "2026-01-01T18:50:00+00:00"),
    ("Бүгін, 00:10", "2026-01-01T19:10:00+00:00"),
    ("Кеше, 08:00", "2026-01-01T03:00:00+00:00"),
    ("15 наурыз 2023, 10:00", "2023-03-15T04:00:00+00:00"),  # before 2024-03-01 Almaty was UTC+6
    ("Ертең, 10:00", None),
    ("31 foo 2025, 10:00", None),
    ("31 желтоқсан 2025", None),
])
def test_parse_day_time(text: str, expected: str | None) -> None:
    moment = parse_day_time(text, date(2026, 1, 2), ALMATY)
    assert (moment.isoformat() if moment else None) == expected


def test_relative_time_needs_a_reference_day() -> None:
    assert parse_day_time("Сегодня, 14:20", None, ALMATY) is None


# -- spiders from bytes -------------------------------------------------------------------------------


def test_tengrinews_rss_and_sitemaps_yield_exactly_the_day() -> None:
    start, end = interval("2026-01-01")
    spider = SPIDERS["tengrinews"](start=start, end=end)
    expected = set(TENGRI_DAYS["days"]["2026-01-01"]["articles"])
    from_feed = urls(spider.parse_feed(xml("https://kaz.tengrinews.kz/news.rss", TENGRI_SITE / "news.rss")))
    assert from_feed == expected
    children = urls(spider.parse_sitemap_index(
        xml("https://kaz.tengrinews.kz/kk-sitemap-index.xml", TENGRI_SITE / "kk-sitemap-index.xml"), TENGRINEWS.discovery[1]))
    # 2025-11 and 2025-12 last changed before the interval; the pages sitemap is not a news sitemap.
    assert children == {"https://kaz.tengrinews.kz/sitemap-news-2026-01.xml"}
    fresh = SPIDERS["tengrinews"](start=start, end=end)
    from_sitemap = urls(fresh.parse_sitemap(
        xml("https://kaz.tengrinews.kz/sitemap-news-2026-01.xml", TENGRI_SITE / "sitemap-news-2026-01.xml")))
    assert from_sitemap == expected
    # Already scheduled from the feed: the sitemap adds nothing.
    assert list(spider.parse_sitemap(
        xml("https://kaz.tengrinews.kz/sitemap-news-2026-01.xml", TENGRI_SITE / "sitemap-news-2026-01.xml"))) == []


def test_tengrinews_sitemap_entry_prefers_the_publication_date() -> None:
    entries = {e.loc: e for e in sitemap_entries((TENGRI_SITE / "sitemap-news-2026-01.xml").read_bytes(), ALMATY)}
    updated = TENGRI_DAYS["special"]["updated"][0]
    assert entries[updated].raw == "2026-01-01T06:20:00+05:00"  # lastmod is 09:40


def test_egemen_fetches_each_id_once_whatever_the_scheme() -> None:
    start, end = interval("2026-01-02")
    spider = SPIDERS["egemen"](start=start, end=end)
    requests = [*spider.parse_feed(xml("https://egemen.kz/rss", EGEMEN_SITE / "rss")),
                *spider.parse_sitemap(xml("https://egemen.kz/sitemap.xml", EGEMEN_SITE / "sitemap.xml"))]
    ids = [EGEMEN.article_id(request.url) for request in requests]
    expected = {EGEMEN.article_id(url) for url in EGEMEN_DAYS["days"]["2026-01-02"]["articles"]}
    assert sorted(ids) == sorted(expected)  # each once
    assert EGEMEN_DAYS["special"]["redirect_from"][0] in urls(requests)  # the feed's old address, followed later
    assert all(not url.endswith("/") for url in urls(requests))


def test_egemen_older_feed_items_are_out_of_the_interval() -> None:
    start, end = interval("2025-12-31")
    spider = SPIDERS["egemen"](start=start, end=end)
    scheduled = urls(spider.parse_feed(xml("https://egemen.kz/rss", EGEMEN_SITE / "rss")))
    assert scheduled == set(EGEMEN_DAYS["days"]["2025-12-31"]["articles"])
    assert set(EGEMEN_DAYS["special"]["listed_not_served"]) <= spider.out_interval


# -- parser fallbacks ---------------------------------------------------------------------------------


def golden(source: str, article_id: str) -> tuple[str, str]:
    meta = json.loads((REPO / "tests" / "golden" / source / f"{article_id}.meta.json").read_text(encoding="utf-8"))
    html = gzip.decompress((REPO / "tests" / "golden" / source / f"{article_id}.html.gz").read_bytes())
    return meta["url"], html.decode("utf-8")


def test_broken_egemen_selector_falls_back_to_generic_extraction() -> None:
    url, html = golden("egemen", "412104")
    truth = json.loads((REPO / "tests" / "golden" / "egemen" / "412104.truth.json").read_text(encoding="utf-8"))
    broken = html.replace('itemprop="articleBody"', 'class="article-text-2027"')
    article = extract_article("egemen", url, broken)
    assert article.methods["body"] == "generic" and article.used_fallback
    assert truth["paragraphs"][0] in article.paragraphs


def test_broken_tengrinews_selector_falls_back_to_jsonld_then_generic() -> None:
    url, html = golden("tengrinews", "590101")
    truth = json.loads((REPO / "tests" / "golden" / "tengrinews" / "590101.truth.json").read_text(encoding="utf-8"))
    broken = html.replace("content_main_text", "content-body-2027")
    article = extract_article("tengrinews", url, broken)
    assert article.methods["body"] == "jsonld" and list(article.paragraphs) == truth["paragraphs"]
    url, html = golden("tengrinews", "590102")  # no JSON-LD on this page
    article = extract_article("tengrinews", url, html.replace("content_main_text", "content-body-2027"))
    assert article.methods["body"] == "generic"
    assert "Латвия" in " ".join(article.paragraphs)


def test_tengrinews_relative_page_time_is_read_against_the_fetch_day() -> None:
    url, html = golden("tengrinews", "590104")  # no JSON-LD, no article:published_time
    html = html.replace("31 желтоқсан 2025, 23:58", "Вчера, 23:58")
    article = extract_article("tengrinews", url, html, fetched_at=datetime(2026, 1, 1, 5, 0))
    assert article.methods["published_at"] == "selectors"
    assert article.published_at is not None and article.published_at.isoformat() == "2025-12-31T18:58:00+00:00"


@pytest.mark.parametrize("source", ["tengrinews", "egemen"])
def test_fixture_generator_is_deterministic(source: str, tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(REPO / "fixtures" / source / "generate.py"), "--out", str(tmp_path)],
                   check=True, cwd=REPO)
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert written
    for path in written:
        assert path.read_bytes() == (REPO / path.relative_to(tmp_path)).read_bytes(), path


# -- end to end ---------------------------------------------------------------------------------------


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    with ReplayServer(DEFAULT_ROOT) as server:
        yield server


def wire(settings: Settings, replay: ReplayServer, *hosts: str) -> Settings:
    """Settings that send `hosts` to the replay server, without delays (it is local)."""
    return dataclasses.replace(settings, host_overrides=MappingProxyType({h: replay.base_url for h in hosts}),
                               download_delay=0.0)


def query(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def backfill_discovered(settings: Settings, source: Any, tmp_path: Path) -> set[str]:
    """The article URLs a 3-day crawl fetched successfully (200; a 301 exchange is archived but is no page)."""
    from scrapers.run import run_crawl

    start, end = interval("2025-12-31", days=3)
    output = run_crawl(source, start, end, tmp_path / "backfill", f"{source.name}-backfill", settings)
    manifest = json.loads(output.manifest_path.read_text(encoding="utf-8"))
    return {r["url"] for r in manifest["records"]
            if r["kind"] == "article" and r["outcome"] == "ok" and r["status"] == 200}


def every_article(days: dict[str, Any]) -> set[str]:
    return {url for day in days["days"].values() for url in day["articles"]}


@pytest.mark.integration
def test_tengrinews_ingest_day_and_backfill(settings: Settings, replay: ReplayServer, tmp_path: Path) -> None:
    from etl.steps import pipeline

    wired = wire(settings, replay, "kaz.tengrinews.kz")
    summary = pipeline.ingest_day(wired, "tengrinews", date(2026, 1, 1))
    loaded = {row[0] for row in query(wired, "SELECT canonical_url FROM articles WHERE source = 'tengrinews'")}
    assert loaded == set(TENGRI_DAYS["days"]["2026-01-01"]["articles"])
    assert summary["status"] == "loaded" and summary["loaded_new"] == len(loaded)
    assert summary["fallback_used"] == 0 and summary["failed"] == 0

    assert backfill_discovered(wired, TENGRINEWS, tmp_path) == every_article(TENGRI_DAYS)
    asked = {path for _, host, path in replay.requests if host == "kaz.tengrinews.kz"}
    assert "/sitemap-news-2025-11.xml" not in asked and "/sitemap-pages.xml" not in asked


@pytest.mark.integration
def test_egemen_ingest_day_links_the_kazinform_copy_and_backfill(
    settings: Settings, replay: ReplayServer, tmp_path: Path
) -> None:
    from etl.steps import pipeline

    wired = wire(settings, replay, "egemen.kz", "kaz.inform.kz")
    pipeline.ingest_day(wired, "kazinform", date(2026, 1, 1))
    summary = pipeline.ingest_day(wired, "egemen", date(2026, 1, 1))
    loaded = {row[0] for row in query(wired, "SELECT canonical_url FROM articles WHERE source = 'egemen'")}
    assert loaded == set(EGEMEN_DAYS["days"]["2026-01-01"]["articles"])
    assert summary["status"] == "loaded" and summary["duplicates"] >= 1
    pair = EGEMEN_DAYS["republished_pairs"][0]
    links = query(wired, """SELECT o.source, o.article_id, c.duplicate_kind FROM articles c
                             JOIN articles o ON o.id = c.duplicate_of WHERE c.canonical_url = %s""", (pair["copy"],))
    assert links == [(pair["original"]["source"], pair["original"]["article_id"], "exact")]

    discovered = backfill_discovered(wired, EGEMEN, tmp_path)
    assert discovered == every_article(EGEMEN_DAYS)  # the 301 from the old address ends on /news/<id>
    asked = {path for _, host, path in replay.requests if host == "egemen.kz"}
    assert not any("erterek" in path for path in asked)


@pytest.mark.integration
@pytest.mark.airflow
def test_daily_dag_one_failing_source_does_not_block_the_other(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dag.test() over Tengrinews and Egemen, Egemen's host sent to a copy of the site whose article pages
    lost their text: Egemen's extract fails (and its load/summary never run); Tengrinews loads its day."""
    import shutil

    import pendulum
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    import etl.sources

    root = tmp_path / "replay"
    shutil.copytree(DEFAULT_ROOT / "kaz.tengrinews.kz", root / "kaz.tengrinews.kz")
    shutil.copytree(DEFAULT_ROOT / "egemen.kz", root / "egemen.kz")
    for page in (root / "egemen.kz").rglob("index.html"):
        page.write_text('<!DOCTYPE html><html lang="kk"><head><meta charset="utf-8"><title>Жаңалық</title></head>'
                        '<body><h1 class="responsive_title">Жаңалық</h1><div itemprop="articleBody"></div>'
                        "</body></html>", encoding="utf-8")
    monkeypatch.setattr(etl.sources, "enabled_sources", lambda: [TENGRINEWS, EGEMEN])
    db.resetdb()
    with ReplayServer(root) as replay:
        env = {
            "DATABASE_URL": settings.database_url, "S3_ENDPOINT_URL": settings.s3_endpoint_url,
            "S3_BUCKET": settings.s3_bucket, "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
            "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
            "NEWSARCHIVE_TASK_RETRIES": "0",  # read when the DAG file is parsed: fail at once, no retry wait
            "NEWSARCHIVE_HOST_OVERRIDES": f"kaz.tengrinews.kz={replay.base_url},egemen.kz={replay.base_url}",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, str(value))
        dag = DagBag(dag_folder=str(REPO / "dags")).dags["news_daily"]
        run = dag.test(logical_date=pendulum.datetime(2026, 1, 2, 3, 0, tz="Asia/Almaty"))  # archives 2026-01-01
    states: dict[tuple[str, int], str] = {
        (ti.task_id, ti.map_index): str(ti.state).rsplit(".", 1)[-1].lower() for ti in run.get_task_instances()
    }
    tengrinews = {task: state for (task, index), state in states.items() if index == 0}
    egemen = {task: state for (task, index), state in states.items() if index == 1}
    assert {"source.crawl", "source.extract", "source.load", "source.summary"} <= set(tengrinews)
    assert set(tengrinews.values()) == {"success"}, states  # every task of the healthy source
    assert egemen["source.crawl"] == egemen["source.archive"] == "success", states
    assert egemen["source.extract"] == "failed", states
    after = {task for task in egemen if task not in ("source.crawl", "source.archive", "source.extract")}
    assert after and {egemen[task] for task in after} == {"upstream_failed"}, states
    assert query(settings, "SELECT source, status FROM crawl_runs ORDER BY source") == [
        ("egemen", "archived"), ("tengrinews", "loaded")]  # a failed step keeps its status
    loaded = {row[0] for row in query(settings, "SELECT canonical_url FROM articles")}
    assert loaded == set(TENGRI_DAYS["days"]["2026-01-01"]["articles"])


@pytest.mark.integration
def test_broken_egemen_selector_shows_in_the_run_counts(settings: Settings, tmp_path: Path) -> None:
    """Egemen pages of 2025-12-31 whose body container was renamed still load, through the generic fallback,
    and the run's counts say how many did."""
    import shutil

    from etl.steps import pipeline

    root = tmp_path / "replay"
    shutil.copytree(EGEMEN_SITE, root / "egemen.kz")
    for page in (root / "egemen.kz" / "article").rglob("index.html"):
        page.write_text(page.read_text(encoding="utf-8").replace('itemprop="articleBody"', 'class="text-2027"'),
                        encoding="utf-8")
    with ReplayServer(root) as replay:
        summary = pipeline.ingest_day(wire(settings, replay, "egemen.kz"), "egemen", date(2025, 12, 31))
    expected = EGEMEN_DAYS["days"]["2025-12-31"]["articles"]
    assert summary["status"] == "loaded" and summary["loaded_new"] == len(expected)
    assert summary["fallback_used"] == len(expected)
    methods = query(settings, "SELECT DISTINCT extraction->>'body' FROM articles WHERE source = 'egemen'")
    assert methods == [("generic",)]
