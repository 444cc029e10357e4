"""Real crawls: `run_crawl` in a subprocess against the replay server serving a small site built per test."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

import scrapers.run
from etl.core.config import Settings, load_settings
from etl.core.errors import PipelineError
from etl.dev.replay.server import ReplayServer
from etl.sources import KAZINFORM
from scrapers.run import CrawlOutput, run_crawl

START = datetime.fromisoformat("2026-01-01T00:00:00+05:00")
END = datetime.fromisoformat("2026-01-02T00:00:00+05:00")
HOST = "kaz.inform.kz"
LENTA = "lenta/index.html@end_date=2026-01-01&page={page}&start_date=2026-01-01"

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Kazinform</title>
<item><title>A</title><link>https://kaz.inform.kz/news/alpha-aaa111/</link><pubDate>Thu, 01 Jan 2026 10:00:00 +0500</pubDate></item>
<item><title>B</title><link>https://kaz.inform.kz/news/beta-bbb222/</link><pubDate>Wed, 31 Dec 2025 23:00:00 +0500</pubDate></item>
<item><title>C</title><link>https://kaz.inform.kz/news/gamma-ccc333</link><pubDate>Thu, 01 Jan 2026 12:00:00 +0500</pubDate></item>
</channel></rss>
"""
ARTICLE = (
    '<html><head><meta property="article:published_time" content="2026-01-01T10:00:00+05:00"></head>'
    '<body><h1>{title}</h1><div class="article__content"><p>АСТАНА. KAZINFORM – Мәтін.</p></div></body></html>\n'
)
CHALLENGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script></body></html>\n'
)


def lenta_page(page: int, hrefs: list[str], pages: int = 2) -> str:
    cards = "".join(f'<div class="card"><a class="news-card" href="{h}"><h3>Т</h3></a></div>' for h in hrefs)
    items = "".join(
        f'<li class="page-item{" active" if n == min(page, pages) else ""}"><a href="?page={n}">{n}</a></li>'
        for n in range(1, pages + 1)
    )
    return f'<html><body><a href="/category/sayasat_c1/">Саясат</a>{cards}<ul class="pagination">{items}</ul></body></html>\n'


def build_site(root: Path) -> Path:
    """Write a one-day Kazinform mirror with a 429, a challenge page, a 404, a non-article and a redirect."""
    site = root / HOST
    files = {
        "robots.txt": "User-agent: *\nDisallow: /news/hidden-abc888/\n",
        "rss/kz.xml": RSS,
        LENTA.format(page=1): lenta_page(
            1, ["/news/alpha-aaa111/", "/news/delta-ddd444/", "/news/old-slug-abc999/"]
        ),
        LENTA.format(page=2): lenta_page(
            2,
            [
                "/news/epsilon-eee555/",
                "/news/blocked-fff666/",
                "/news/missing-abc777/",
                "/news/hidden-abc888/",
            ],
        ),
        LENTA.format(page=3): lenta_page(3, ["/news/epsilon-eee555/"]),
        "news/epsilon-eee555/index.html": "<html><body><p>Бұл бет мақала емес.</p></body></html>\n",
        "_challenge.html": CHALLENGE,
        "_rules": "/news/blocked-fff666/ 403 body=_challenge.html\n/news/delta-ddd444/ 429 times=1 Retry-After=1\n",
        "_redirects": "/news/old-slug-abc999/ /news/new-slug-abc999/ 301\n",
    }
    for slug in (
        "alpha-aaa111",
        "beta-bbb222",
        "gamma-ccc333",
        "delta-ddd444",
        "new-slug-abc999",
        "hidden-abc888",
    ):
        files[f"news/{slug}/index.html"] = ARTICLE.format(title=slug)
    for name, text in files.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def crawl_settings(base_url: str, **changes: Any) -> Settings:
    base = load_settings({}, env_file=None)
    values: dict[str, Any] = {
        "host_overrides": MappingProxyType({HOST: base_url}),
        "download_delay": 0.0,
        "block_backoff": 0.0,  # no pause after challenge pages (Retry-After is still honoured)
        "crawl_timeout": 120,
    }
    values.update(changes)
    return dataclasses.replace(base, **values)


def manifest_of(output: CrawlOutput) -> dict[str, Any]:
    return json.loads(output.manifest_path.read_text(encoding="utf-8"))


def ok_articles(manifest: dict[str, Any]) -> set[str]:
    return {
        r["url"]
        for r in manifest["records"]
        if r["kind"] == "article" and r["outcome"] == "ok" and r["status"] == 200
    }


@pytest.fixture
def site(tmp_path: Path) -> Iterator[ReplayServer]:
    with ReplayServer(build_site(tmp_path / "replay")) as server:
        yield server


@pytest.fixture
def first_crawl(site: ReplayServer, tmp_path: Path) -> tuple[CrawlOutput, ReplayServer]:
    output = run_crawl(
        KAZINFORM, START, END, tmp_path / "run", "kazinform-20260101", crawl_settings(site.base_url)
    )
    return output, site


def test_crawl_writes_warc_and_manifest(first_crawl: tuple[CrawlOutput, ReplayServer]) -> None:
    output, server = first_crawl
    manifest = manifest_of(output)
    assert output.warc_path.name == "kazinform-20260101.warc.gz"
    assert output.log_path.is_file()
    assert not list(output.warc_path.parent.glob("*.part"))
    assert manifest["source"] == "kazinform" and manifest["run_key"] == "kazinform-20260101"
    assert manifest["interval_start"] == "2026-01-01T00:00:00+05:00"
    assert manifest["interval_end"] == "2026-01-02T00:00:00+05:00"
    assert manifest["finish_reason"] == "finished"
    assert ok_articles(manifest) == {
        "https://kaz.inform.kz/news/alpha-aaa111/",
        "https://kaz.inform.kz/news/gamma-ccc333/",
        "https://kaz.inform.kz/news/delta-ddd444/",
        "https://kaz.inform.kz/news/new-slug-abc999/",
    }
    assert output.counts == manifest["counts"]
    assert output.counts == {
        "discovered": 8,
        "fetched": 4,
        "skipped_known": 0,
        "out_of_interval": 1,
        "blocked": 1,
        "failed": 1,
        "non_article": 1,
        "requests": len(manifest["records"]),
    }
    by_url = {(r["url"], r["status"]): r for r in manifest["records"]}
    assert by_url[("https://kaz.inform.kz/news/blocked-fff666/", 403)]["outcome"] == "blocked"
    assert by_url[("https://kaz.inform.kz/news/missing-abc777/", 404)]["outcome"] == "http_error"
    assert by_url[("https://kaz.inform.kz/news/epsilon-eee555/", 200)]["outcome"] == "not_article"
    assert by_url[("https://kaz.inform.kz/news/old-slug-abc999/", 301)]["kind"] == "article"
    assert by_url[("https://kaz.inform.kz/robots.txt", 200)]["kind"] == "robots"
    assert by_url[("https://kaz.inform.kz/rss/kz.xml", 200)]["kind"] == "feed"
    assert {r["kind"] for r in manifest["records"]} == {"robots", "feed", "listing", "article"}
    # The feed's pubDate travels with the URL into the manifest, for pages that show no date of their own.
    assert by_url[("https://kaz.inform.kz/news/alpha-aaa111/", 200)]["listed_at"] == "2026-01-01T10:00:00+05:00"
    assert "listed_at" not in by_url[("https://kaz.inform.kz/news/delta-ddd444/", 200)]  # a card without a time

    paths = [path for _, _, path in server.requests]
    assert "/news/hidden-abc888/" not in paths  # robots.txt
    assert "/news/beta-bbb222/" not in paths  # out of the interval
    assert paths.count("/news/alpha-aaa111/") == 1  # in the feed and the listing, fetched once
    assert paths.count("/news/blocked-fff666/") == 1  # a challenge is not retried
    assert all(host == HOST for _, host, _ in server.requests)  # real Host header through the override


def test_retry_after_is_honoured(first_crawl: tuple[CrawlOutput, ReplayServer]) -> None:
    output, _ = first_crawl
    rows = [
        r for r in manifest_of(output)["records"] if r["url"] == "https://kaz.inform.kz/news/delta-ddd444/"
    ]
    assert [(r["status"], r["outcome"]) for r in rows] == [(429, "blocked"), (200, "ok")]
    first, retry = (datetime.fromisoformat(r["fetched_at"].replace("Z", "+00:00")) for r in rows)
    assert (retry - first).total_seconds() >= 1.0


def test_manifest_offsets_point_at_response_records(first_crawl: tuple[CrawlOutput, ReplayServer]) -> None:
    output, _ = first_crawl
    manifest = manifest_of(output)
    with output.warc_path.open("rb") as fh:
        types = [record.rec_type for record in ArchiveIterator(fh)]
    assert types[0] == "warcinfo"
    assert types.count("response") == types.count("request") == len(manifest["records"])
    with output.warc_path.open("rb") as fh:
        for row in manifest["records"]:
            fh.seek(row["warc_offset"])
            record = next(iter(ArchiveIterator(fh)))
            assert record.rec_type == "response"
            assert record.rec_headers.get_header("WARC-Record-ID") == row["record_id"]
            assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
            assert record.http_headers.get_statuscode() == str(row["status"])
            payload = record.content_stream().read()
            if row["kind"] == "article" and row["outcome"] == "ok" and row["status"] == 200:
                assert record.http_headers.get_header("Content-Encoding") == "gzip"
                assert "KAZINFORM – Мәтін".encode() in payload


def test_known_ids_skip_article_pages(first_crawl: tuple[CrawlOutput, ReplayServer], tmp_path: Path) -> None:
    output, server = first_crawl
    known = [KAZINFORM.article_id(url) or "" for url in ok_articles(manifest_of(output))]
    before = len(server.requests)
    second = run_crawl(
        KAZINFORM,
        START,
        END,
        tmp_path / "run2",
        "kazinform-20260101",
        crawl_settings(server.base_url),
        known_ids=known,
    )
    fetched = [path for _, _, path in server.requests[before:] if path.startswith("/news/")]
    assert "/news/alpha-aaa111/" not in fetched and "/news/gamma-ccc333/" not in fetched
    assert second.counts["skipped_known"] == 4
    assert second.counts["fetched"] == 0
    assert second.counts["discovered"] == 8
    assert (tmp_path / "run2" / "kazinform-20260101.known_ids.txt").is_file()


def test_unreachable_site_is_recorded_as_download_errors(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    output = run_crawl(KAZINFORM, START, END, tmp_path, "down", crawl_settings(f"http://127.0.0.1:{port}"))
    manifest = manifest_of(output)
    assert output.counts["failed"] == 2  # the feed and the listing
    assert output.counts["fetched"] == 0
    rows = manifest["records"]
    assert rows and all(
        r["status"] == 0 and r["outcome"] == "http_error" and r["warc_offset"] is None for r in rows
    )
    assert {r["kind"] for r in rows} == {"robots", "feed", "listing"}
    with output.warc_path.open("rb") as fh:
        assert [record.rec_type for record in ArchiveIterator(fh)] == ["warcinfo"]


def test_hanging_site_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scrapers.run, "_STOP_GRACE_SECONDS", 0.01)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(PipelineError, match="timed out after 4 s") as caught:
            run_crawl(KAZINFORM, START, END, tmp_path, "hang", crawl_settings(url, crawl_timeout=4))
    assert "crawl log tail" in str(caught.value)
    assert not (tmp_path / "hang.manifest.json").exists()
    assert (tmp_path / "hang.warc.gz.part").exists()


def test_failed_start_raises_with_log_tail(tmp_path: Path) -> None:
    broken = dataclasses.replace(KAZINFORM, name="no_such_spider")
    with pytest.raises(PipelineError, match="exited with status 1") as caught:
        run_crawl(broken, START, END, tmp_path, "broken", crawl_settings("http://127.0.0.1:9"))
    assert "no_such_spider" in str(caught.value)


def test_run_crawl_checks_its_arguments(tmp_path: Path) -> None:
    settings = crawl_settings("http://127.0.0.1:9")
    with pytest.raises(ValueError, match="timezone-aware"):
        run_crawl(KAZINFORM, START.replace(tzinfo=None), END, tmp_path, "x", settings)
    with pytest.raises(ValueError, match="not after"):
        run_crawl(KAZINFORM, END, START, tmp_path, "x", settings)
    with pytest.raises(ValueError, match="run_key"):
        run_crawl(KAZINFORM, START, END, tmp_path, "../escape", settings)


# -- the generated Kazinform fixtures (fixtures/replay/kaz.inform.kz, fixtures/kazinform/days.json) ----------

REPO = Path(__file__).resolve().parents[1]
DAYS_JSON = REPO / "fixtures" / "kazinform" / "days.json"
REPLAY_ROOT = REPO / "fixtures" / "replay"
needs_fixtures = pytest.mark.skipif(
    not DAYS_JSON.is_file() or not (REPLAY_ROOT / HOST).is_dir(), reason="Kazinform fixtures not generated"
)


@pytest.fixture
def fixture_site() -> Iterator[ReplayServer]:
    with ReplayServer(REPLAY_ROOT) as server:
        yield server


@needs_fixtures
def test_fixture_day_crawl_matches_days_json(
    fixture_site: ReplayServer, tmp_path: Path
) -> None:
    days = json.loads(DAYS_JSON.read_text(encoding="utf-8"))
    expected = set(days["days"]["2026-01-01"]["articles"])
    special = days["special"]
    settings = crawl_settings(fixture_site.base_url)

    output = run_crawl(KAZINFORM, START, END, tmp_path / "first", "kazinform-20260101", settings)
    manifest = manifest_of(output)
    assert ok_articles(manifest) == expected
    blocked = {r["url"] for r in manifest["records"] if r["outcome"] == "blocked"}
    not_found = {r["url"] for r in manifest["records"] if r["status"] == 404}
    assert blocked == set(special["blocked"])
    assert not_found == set(special["not_found"])
    assert output.counts["fetched"] == len(expected)
    assert output.counts["blocked"] == len(special["blocked"])
    assert output.counts["failed"] == len(special["not_found"])
    assert output.counts["non_article"] == 0
    assert output.counts["discovered"] == len(expected) + len(blocked) + len(not_found)
    retried = [r for r in manifest["records"] if r["url"] in special["retry_once"]]
    assert [r["status"] for r in retried] == [503, 200]

    known = [KAZINFORM.article_id(url) or "" for url in expected]
    before = len(fixture_site.requests)
    second = run_crawl(
        KAZINFORM, START, END, tmp_path / "second", "kazinform-20260101", settings, known_ids=known
    )
    assert second.counts["fetched"] == 0
    assert second.counts["skipped_known"] == len(expected)
    article_paths = {path for _, _, path in fixture_site.requests[before:] if path.startswith("/news/")}
    unknown = {urlsplit(url).path for url in blocked | not_found}
    assert article_paths <= unknown


def test_too_many_blocks_in_a_row_stop_the_crawl(
    site: ReplayServer, tmp_path: Path
) -> None:
    with pytest.raises(PipelineError, match="finish reason 'blocked'"):
        run_crawl(KAZINFORM, START, END, tmp_path, "blocked", crawl_settings(site.base_url, max_consecutive_blocked=1))
    manifest = json.loads((tmp_path / "blocked.manifest.json").read_text(encoding="utf-8"))
    assert manifest["finish_reason"] == "blocked"
    assert manifest["counts"]["blocked"] == 1


# -- a crawl session: one long-lived crawl process for many runs (scrapers/serve.py) ------------------------


def test_a_session_runs_every_crawl_in_one_process_with_the_same_output(site: ReplayServer, tmp_path: Path) -> None:
    with ReplayServer(build_site(tmp_path / "replay-alone")) as other:  # the site answers 429 once: a fresh copy
        alone = run_crawl(KAZINFORM, START, END, tmp_path / "alone", "kazinform-20260101", crawl_settings(other.base_url))
    settings = crawl_settings(site.base_url)
    broken = dataclasses.replace(KAZINFORM, name="no_such_spider")
    with scrapers.run.crawl_session(dataclasses.replace(settings, state_dir=tmp_path / "state")) as session:
        first = run_crawl(KAZINFORM, START, END, tmp_path / "s1", "kazinform-20260101", settings)
        with pytest.raises(PipelineError, match="could not run: .*no_such_spider") as caught:
            run_crawl(broken, START, END, tmp_path / "s2", "broken", settings)  # a failed run stays that run's
        known = [KAZINFORM.article_id(url) or "" for url in ok_articles(manifest_of(first))]
        second = run_crawl(KAZINFORM, START, END, tmp_path / "s3", "kazinform-20260101", settings, known_ids=known)
        pid = session.process.pid if session.process else None
    assert session.started == 1 and pid is not None
    assert session.process is None  # ended with the block
    assert "crawl log tail" in str(caught.value)
    assert first.counts == alone.counts
    strip = ("warc_offset", "warc_length", "record_id", "fetched_at")
    rows = [[{k: v for k, v in r.items() if k not in strip} for r in manifest_of(o)["records"]] for o in (alone, first)]
    assert sorted(rows[0], key=json.dumps) == sorted(rows[1], key=json.dumps)
    assert "Spider closed (finished)" in first.log_path.read_text(encoding="utf-8")
    assert second.counts["fetched"] == 0 and second.counts["skipped_known"] == 4


def test_a_session_starts_a_new_process_after_a_timeout_or_a_death(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scrapers.run, "_STOP_GRACE_SECONDS", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings = crawl_settings(url, crawl_timeout=10, state_dir=tmp_path / "state")
        with scrapers.run.crawl_session(settings) as session:
            with pytest.raises(PipelineError, match="timed out after 10 s"):
                run_crawl(KAZINFORM, START, END, tmp_path, "hang", settings)
            assert session.process is None
            with pytest.raises(PipelineError, match="could not run"):
                run_crawl(dataclasses.replace(KAZINFORM, name="nope"), START, END, tmp_path, "x", settings)
            assert session.process is not None
            session.process.kill()  # died while idle: the next crawl starts another
            session.process.wait()
            with pytest.raises(PipelineError, match="could not run"):
                run_crawl(dataclasses.replace(KAZINFORM, name="nope"), START, END, tmp_path, "y", settings)
    assert session.started == 3


def test_crawls_from_two_threads_of_a_session_share_its_process_each_with_its_own_log(tmp_path: Path) -> None:
    with (ReplayServer(build_site(tmp_path / "one")) as one, ReplayServer(build_site(tmp_path / "two")) as two):
        settings = crawl_settings(one.base_url, state_dir=tmp_path / "state", crawl_parallel=2)
        other = dataclasses.replace(settings, host_overrides=MappingProxyType({HOST: two.base_url}))
        outputs: dict[str, CrawlOutput] = {}
        with scrapers.run.crawl_session(settings) as session:
            run = scrapers.run.in_session(session)

            def crawl(key: str, wired: Settings) -> None:
                outputs[key] = run(lambda: run_crawl(KAZINFORM, START, END, tmp_path / key, key, wired))

            threads = [threading.Thread(target=crawl, args=(key, wired))
                       for key, wired in (("first", settings), ("second", other))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert session.started == 1 and sorted(outputs) == ["first", "second"]
    assert outputs["first"].counts == outputs["second"].counts
    for key in ("first", "second"):
        text = outputs[key].log_path.read_text(encoding="utf-8")
        assert "Spider closed (finished)" in text and f"{key}.warc.gz" in text  # its spider's and its WARC's lines
        assert f"{'second' if key == 'first' else 'first'}.warc.gz" not in text  # none of the other crawl's
        assert text.count("Spider closed") == 1
