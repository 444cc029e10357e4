"""The fault and bad-input suite: one bad page never fails a day (dates out of range, impossible offsets, lone
surrogates); every bad page is a failed item of its run (URL, reason, WARC offset) and the rest loads."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bad_pages import (
    charset_in_header_only,
    date_out_of_range,
    gzip_bomb,
    gzip_bomb_bytes,
    lone_surrogate_headline,
    page_path,
    visible_offset,
    wrong_meta_charset,
)
from ops_support import DAYS, copy_replay, query

from etl.core.config import Settings
from etl.core.dates import parse_iso, parse_visible_time, plausible
from etl.dev.replay.server import ReplayServer
from etl.sources import extract_article
from etl.steps import pipeline

ALMATY = ZoneInfo("Asia/Almaty")  # the zone of the Kazakh sources

DAY = "2026-01-02"
#: Runs argv[2:] and writes the peak RSS (KiB) of it and its children to argv[1].
MEASURE = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
           "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
           "sys.exit(code)")
ARTICLES = sorted(DAYS["days"][DAY]["articles"])


@pytest.mark.parametrize("text", ["9999-12-31T23:59:00-12:00", "0001-01-01T00:00:00+05:00",
                                  "2025-01-01T10:00:00+25:00"])
def test_iso_dates_outside_utc_are_none(text: str) -> None:
    assert parse_iso(text, ALMATY) is None


def test_visible_time_with_an_impossible_offset_is_none() -> None:
    assert parse_visible_time("14:35, 13 Қараша 2025 | GMT +99", ALMATY) is None
    assert parse_visible_time("14:35, 13 Қараша 2025 | GMT +14", ALMATY) is not None


def test_the_date_window_is_one_rule() -> None:
    fetched = datetime(2026, 1, 2, tzinfo=UTC)
    assert plausible(datetime(2026, 1, 2, 20, tzinfo=UTC), fetched)
    assert not plausible(datetime(2026, 1, 4, tzinfo=UTC), fetched)
    assert not plausible(datetime(1989, 12, 31, tzinfo=UTC), fetched)
    assert not plausible(datetime(2099, 1, 1, tzinfo=UTC))  # no fetch time: now


def test_extract_without_a_fetch_time_rejects_a_2099_date() -> None:
    """`newsarchive extract` (no fetch time) applies the pipeline's window: a 2099 date is not a date."""
    html = (Path(__file__).resolve().parents[1] / "fixtures" / "replay" / "kaz.inform.kz" / "news"
            / ARTICLES[0].split("/news/", 1)[1].strip("/") / "index.html").read_text(encoding="utf-8")
    html = html.replace("2026-01-02T", "2099-01-02T")
    article = extract_article("kazinform", ARTICLES[0], html)
    assert article.published_at is None or article.published_at.year == 2026


def wire(settings: Settings, replay: ReplayServer, **changes: object) -> Settings:
    """`settings` sending kaz.inform.kz to `replay`."""
    return dataclasses.replace(settings, host_overrides=MappingProxyType({"kaz.inform.kz": replay.base_url}),
                               **changes)  # type: ignore[arg-type]


@pytest.fixture
def bad_root(tmp_path: Path) -> Path:
    root = copy_replay(tmp_path)
    date_out_of_range(root, ARTICLES[0], "9999-12-31T23:59:00-12:00")
    date_out_of_range(root, ARTICLES[1], "0001-01-01T00:00:00+05:00")
    visible_offset(root, ARTICLES[2], "GMT +99")
    lone_surrogate_headline(root, ARTICLES[3])
    return root


@pytest.fixture
def wired_bad(settings: Settings, bad_root: Path) -> Iterator[Settings]:
    with ReplayServer(bad_root) as replay:
        yield wire(settings, replay)


@pytest.mark.integration
def test_bad_dates_and_surrogates_do_not_fail_the_day(wired_bad: Settings) -> None:
    result = pipeline.ingest_day(wired_bad, "kazinform", date.fromisoformat(DAY))
    assert result["status"] == "loaded"
    loaded = dict(query(wired_bad, "SELECT canonical_url, published_at FROM articles"))
    assert set(loaded) == set(ARTICLES)
    for url in ARTICLES[:2]:  # the machine dates are out of range: the visible time is the next step
        assert loaded[url].year == 2026, url
    # The site's own time is out of range: never stored; a fallback step (flagged) dates the article instead.
    method = query(wired_bad, "SELECT extraction->>'published_at' FROM articles WHERE canonical_url = %s",
                   (ARTICLES[2],))[0][0]
    assert method in ("generic", "discovery") and loaded[ARTICLES[2]].year == 2026  # flagged as a fallback
    title = query(wired_bad, "SELECT title FROM articles WHERE canonical_url = %s", (ARTICLES[3],))[0][0]
    assert title == "Broken \ufffd headline"


def _staged_row(run_id: int, article_id: str, body: str) -> dict[str, object]:
    import hashlib

    url = f"https://kaz.inform.kz/news/x-{article_id}/"
    return {"source": "kazinform", "article_id": article_id, "url": url, "canonical_url": url, "language": "kk",
            "title": f"Тақырып {article_id}", "published_at": "2026-01-02T07:50:00+00:00", "body": body,
            "tags": [], "content_hash": hashlib.sha256(body.encode()).hexdigest(), "warc_key": "k.warc.gz",
            "warc_offset": int(article_id, 16), "warc_record_id": f"<urn:uuid:{article_id}>",
            "extractor_version": "test-1", "extraction": {"body": "selectors"},
            "fetched_at": "2026-01-02T08:00:00+00:00", "crawl_run_id": run_id}


def _archived_run(url: str) -> Any:
    """A crawl run of DAY with a recorded archive `k.warc.gz`, which the staged rows point at."""
    from etl.store import runs

    start = datetime(2026, 1, 2, tzinfo=UTC)
    run = runs.create_run(url, "kazinform", date(2026, 1, 2), start, start + timedelta(days=1), refetch=False,
                          trigger="test")
    runs.record_archive(url, run.id, "k.warc.gz", "k.manifest.json", "0" * 64, 10, 5, 5)
    return run


@pytest.mark.integration
def test_a_row_the_database_rejects_is_a_failed_item_and_the_rest_loads(settings: Settings) -> None:
    from etl.read.query import run_query
    from etl.store.load import load_rows

    url = settings.require_database_url()
    run = _archived_run(url)
    rows = [_staged_row(run.id, f"{n:06x}", f"Мәтін {n}") for n in range(1, 6)]
    rows[2]["body"] = "NUL \x00 inside"  # PostgreSQL text cannot hold it
    result = load_rows(url, rows, run_id=run.id)
    assert result.new == 4 and [f.url for f in result.rejected] == [rows[2]["url"]]
    assert query(settings, "SELECT count(*) FROM articles") == [(4,)]
    assert query(settings, "SELECT status, extract_errors, counts->>'failed_items' FROM crawl_runs") == [
        ("stored", 1, "1")]
    # The reader role sees the failed items (step, URL, WARC offset, reason).
    seen = run_query(url, "SELECT step, url, warc_offset, reason FROM run_failures")
    assert [row[:3] for row in seen.rows] == [("load", rows[2]["url"], 3)]
    assert "0x00" in seen.rows[0][3] or "NUL" in seen.rows[0][3].upper()
    # Loading again replaces the failed items, it does not add to them.
    load_rows(url, rows, run_id=run.id)
    assert query(settings, "SELECT count(*) FROM run_failures") == [(1,)]


@pytest.mark.integration
def test_a_multi_megabyte_article_loads_with_the_rest_and_keeps_its_whole_body(settings: Settings) -> None:
    """A body of 3 MB of unique words overflows a tsvector: only the search vector is cut, the body is whole."""
    from etl.store.load import load_rows

    url = settings.require_database_url()
    run = _archived_run(url)
    huge = " ".join(f"сөз{n:07d}" for n in range(300_000))  # 3.3 M characters, every word unique
    rows = [_staged_row(run.id, f"{n:06x}", f"Мәтін {n}") for n in range(1, 4)] + [
        _staged_row(run.id, "0000ff", huge)]
    result = load_rows(url, rows, run_id=run.id)
    assert result.new == 4 and not result.rejected
    assert query(settings, "SELECT length(body) FROM articles WHERE article_id = '0000ff'") == [(len(huge),)]
    assert query(settings, "SELECT count(*) FROM articles WHERE search_vector @@ 'сөз0000001'::tsquery") == [(1,)]


def test_decoded_size_is_measured_in_bounded_steps() -> None:
    from scrapers.size import decoded_size_over

    bomb = gzip_bomb_bytes(b"<html>", 1536 << 20)  # 1.5 GiB once decoded, 1.5 MB on the wire
    assert len(bomb) < 2 << 20
    assert decoded_size_over(bomb, [b"gzip"], 20 << 20)
    assert not decoded_size_over(gzip_bomb_bytes(b"<html>", 8 << 20), [b"gzip"], 9 << 20)
    small = zlib.compress(b"<p>x</p>" * 1000)
    assert not decoded_size_over(small, [b"deflate"], 1 << 20) and decoded_size_over(small, [b"deflate"], 100)
    assert not decoded_size_over(b"not gzip", [b"gzip"], 1)  # left to Scrapy


def test_crawl_settings_carry_the_page_limit(settings: Settings) -> None:
    from etl.sources import get_source
    from scrapers.settings import crawl_settings

    values = crawl_settings(dataclasses.replace(settings, max_page_bytes=5 << 20), get_source("kazinform"))
    assert values["DOWNLOAD_MAXSIZE"] == str(5 << 20) and values["DOWNLOAD_WARNSIZE"] == str(5 << 19)


@pytest.mark.integration
def test_a_gzip_bomb_is_too_large_in_the_manifest_and_a_failed_item(settings: Settings, tmp_path: Path) -> None:
    from etl.store import archive, runs

    root = copy_replay(tmp_path)
    gzip_bomb(root, ARTICLES[4], 1536 << 20)
    with ReplayServer(root) as replay:
        result = pipeline.ingest_day(wire(settings, replay), "kazinform", date.fromisoformat(DAY))
    assert result["status"] == "loaded"
    assert {u for (u,) in query(settings, "SELECT canonical_url FROM articles")} == set(ARTICLES) - {ARTICLES[4]}
    url = settings.require_database_url()
    (run_id,) = query(settings, "SELECT id FROM crawl_runs")[0]
    manifest = archive.read_manifest(settings, runs.archive_of(url, run_id)[1])
    bomb = [r for r in manifest["records"] if r["url"] == ARTICLES[4]]
    assert [r["outcome"] for r in bomb] == ["too_large"]
    failed = query(settings, "SELECT step, url, reason FROM run_failures")
    assert [row[:2] for row in failed] == [("extract", ARTICLES[4])] and "too large" in failed[0][2]


@pytest.mark.integration
def test_extract_reads_an_archived_bomb_with_a_cap(settings: Settings, tmp_path: Path) -> None:
    """A bomb archived as `ok` (an older crawl, or a higher limit then) is a failed item, not an OOM."""
    root = copy_replay(tmp_path)
    gzip_bomb(root, ARTICLES[4], 160 << 20)
    with ReplayServer(root) as replay:
        crawl_with = wire(settings, replay, max_page_bytes=192 << 20)
        run_id = pipeline.crawl(crawl_with, "kazinform", date.fromisoformat(DAY))
        pipeline.resume(dataclasses.replace(crawl_with, max_page_bytes=4 << 20), run_id)
    assert query(settings, "SELECT count(*) FROM articles") == [(len(ARTICLES) - 1,)]
    failed = query(settings, "SELECT step, url, warc_offset IS NOT NULL, reason FROM run_failures")
    assert [row[:3] for row in failed] == [("extract", ARTICLES[4], True)]
    assert "payload over 4194304 bytes" in failed[0][3]
    # `show --body` streams the decoded bomb: it holds what zlib inflates at once (~64 MiB), not the 160 MiB.
    written, peak = _show_body(crawl_with, ARTICLES[4])
    assert written > 150 << 20 and peak < 100 << 20, (written, peak)


def _show_body(settings: Settings, url: str) -> tuple[int, int]:
    """Run `newsarchive show --body URL` in-process; return (bytes written, peak traced memory)."""
    import io
    import tracemalloc
    from unittest import mock

    from etl.cli.main import main

    class Sink(io.RawIOBase):
        written = 0

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            Sink.written += len(data)
            return len(data)

    stdout = io.TextIOWrapper(io.BufferedWriter(Sink()))
    env = {"DATABASE_URL": settings.require_database_url(), "S3_ENDPOINT_URL": settings.s3_endpoint_url or "",
           "S3_BUCKET": settings.s3_bucket, "AWS_ACCESS_KEY_ID": settings.aws_access_key_id or "",
           "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key or ""}
    with mock.patch.dict("os.environ", env), mock.patch("sys.stdout", stdout):
        tracemalloc.start()
        try:
            assert main(["show", "--body", url]) == 0
            stdout.flush()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return Sink.written, peak


@pytest.mark.parametrize(("raw", "content_type", "expected"), [
    ("Қазақ".encode(), "text/html; charset=UTF-8", "utf-8"),
    ('<meta charset="utf-8">Привет'.encode("cp1251"), "text/html; charset=windows-1251", "cp1251"),
    (b"\xef\xbb\xbf<meta charset=windows-1251>", None, "utf-8"),  # BOM before meta
    ('<meta charset="windows-1251">Привет'.encode("cp1251"), "text/html", "cp1251"),  # no charset in header
    ("Привет, мир! Это страница без объявленной кодировки.".encode("cp1251"), None, "cp1251"),  # detection
    ("Сәлем".encode(), None, "utf-8"),
])
def test_charset_order_header_bom_meta_detection(raw: bytes, content_type: str | None, expected: str) -> None:
    from etl.extract.meta import page_charset

    assert page_charset(raw, content_type)[0] == expected


def _expected(url: str) -> tuple[str, str]:
    from etl.dev.replay.server import DEFAULT_ROOT

    article = extract_article("kazinform", url, page_path(DEFAULT_ROOT, url).read_bytes())
    return article.title, article.body


@pytest.mark.integration
def test_http_charset_wins_and_reextract_fixes_stored_rows(settings: Settings, tmp_path: Path) -> None:
    from etl.steps.reextract import reextract

    root = copy_replay(tmp_path)
    charset_in_header_only(root, ARTICLES[5])
    wrong_meta_charset(root, ARTICLES[6])
    with ReplayServer(root) as replay:
        pipeline.ingest_day(wire(settings, replay), "kazinform", date.fromisoformat(DAY))
    for url in ARTICLES[5:7]:
        assert query(settings, "SELECT title, body FROM articles WHERE canonical_url = %s", (url,)) == [
            _expected(url)], url
    # Rows stored by the old decoding (U+FFFD titles, mojibake) are fixed by re-extracting the archived bytes.
    query(settings, "UPDATE articles SET title = '\ufffd\ufffd\ufffd', body = 'Ð¼Ð¾Ð´Ð¶Ð¸Ð±ÑÐºÐµ' "
                    "WHERE canonical_url = ANY(%s)", (ARTICLES[5:7],))
    result = reextract(settings, source="kazinform")
    assert result.updated == 2 and not result.errors
    for url in ARTICLES[5:7]:
        assert query(settings, "SELECT title, body FROM articles WHERE canonical_url = %s", (url,)) == [
            _expected(url)], url


@pytest.mark.integration
def test_an_interrupted_multipart_upload_is_aborted(settings: Settings, tmp_path: Path) -> None:
    """A process killed mid-upload leaves parts behind; the next upload of the key aborts them."""
    from etl.store import s3

    client, key = s3.client(settings), "raw/source=kazinform/date=2026-01-02/run-x.warc.gz"
    started = client.create_multipart_upload(Bucket=settings.s3_bucket, Key=key)
    client.upload_part(Bucket=settings.s3_bucket, Key=key, UploadId=started["UploadId"], PartNumber=1,
                       Body=b"x" * (5 << 20))

    def open_uploads() -> list[str]:
        listed = client.list_multipart_uploads(Bucket=settings.s3_bucket, Prefix=key)
        return [u["UploadId"] for u in listed.get("Uploads", []) if u["Key"] == key]

    assert open_uploads() == [started["UploadId"]]
    path = tmp_path / "run.warc.gz"
    path.write_bytes(b"warc bytes")
    s3.put_file_once(client, settings.s3_bucket, key, path)
    assert open_uploads() == []


def test_html_without_its_end_is_flagged_truncated() -> None:
    from etl.dev.replay.server import DEFAULT_ROOT

    html = page_path(DEFAULT_ROOT, ARTICLES[0]).read_text(encoding="utf-8")
    assert "html" not in extract_article("kazinform", ARTICLES[0], html).methods
    cut = html[: html.index("</body>")]
    article = extract_article("kazinform", ARTICLES[0], cut)
    assert article.methods["html"] == "truncated" and article.title


@pytest.mark.integration
def test_a_literal_percent_next_to_a_parameter_is_one_line(settings: Settings) -> None:
    from etl.core.errors import UserError
    from etl.read.query import run_query

    with pytest.raises(UserError, match="%%"):
        run_query(settings.require_database_url(), "SELECT '100%', %(x)s", {"x": "1"})
    assert run_query(settings.require_database_url(), "SELECT '100%%', %(x)s", {"x": "1"}).rows == [("100%", "1")]


@pytest.mark.integration
def test_export_to_an_unwritable_place_is_one_line(settings: Settings) -> None:
    from zoneinfo import ZoneInfo

    from etl.core.errors import UserError
    from etl.read.export import ExportFilter, export

    with pytest.raises(UserError, match="cannot write /proc/version"):
        export(settings.require_database_url(), "jsonl", Path("/proc/version"), ExportFilter(),
               ZoneInfo("Asia/Almaty"), force=True)


@pytest.mark.integration
def test_a_failed_crawl_leaves_no_work_folder(settings: Settings) -> None:
    from etl.core.errors import PipelineError

    with ReplayServer(copy_replay(settings.state_dir.parent)) as replay:
        with pytest.raises(PipelineError):
            pipeline.crawl(wire(settings, replay, crawl_timeout=0), "kazinform", date.fromisoformat(DAY))
    work = settings.state_dir / "work"
    assert not work.exists() or list(work.iterdir()) == []


def test_the_replay_site_refuses_a_host_folder_linked_from_outside(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not for the web")
    root = tmp_path / "root"
    root.mkdir()
    (root / "evil.example").symlink_to(outside, target_is_directory=True)
    (root / "good.example").mkdir()
    (root / "good.example" / "page.txt").write_text("served")
    with ReplayServer(root) as replay:
        def get(host: str, path: str) -> int:
            request = urllib.request.Request(replay.base_url + path, headers={"Host": host})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        assert get("good.example", "/page.txt") == 200
        assert get("evil.example", "/secret.txt") == 404


@pytest.mark.integration
def test_a_day_of_every_bad_page_loads_the_good_ones_and_stays_small(settings: Settings, tmp_path: Path) -> None:
    """Acceptance: one replay day, every bad page at once, `newsarchive ingest` in a child process: the good
    articles load, each bad one is recorded by reason, and the process tree peaks under 500 MB."""
    import os
    import subprocess
    import sys

    from bad_pages import huge_body, truncated
    from ops_support import REPO

    from etl.dev.local import replay_overrides

    root = copy_replay(tmp_path)
    date_out_of_range(root, ARTICLES[0], "9999-12-31T23:59:00-12:00")
    date_out_of_range(root, ARTICLES[1], "0001-01-01T00:00:00+05:00")
    visible_offset(root, ARTICLES[2], "GMT +99")
    lone_surrogate_headline(root, ARTICLES[3])
    gzip_bomb(root, ARTICLES[4], 1536 << 20)
    charset_in_header_only(root, ARTICLES[5])
    wrong_meta_charset(root, ARTICLES[6])
    huge_body(root, ARTICLES[7], 300_000)
    truncated(root, ARTICLES[8])
    with ReplayServer(root) as replay:
        env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": settings.require_database_url(),
               "S3_ENDPOINT_URL": settings.s3_endpoint_url or "", "S3_BUCKET": settings.s3_bucket,
               "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,
               "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
               "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
               "NEWSARCHIVE_BACKOFF": "0", "NEWSARCHIVE_BLOCK_BACKOFF": "0",
               "NEWSARCHIVE_HOST_OVERRIDES": replay_overrides(replay.base_url)}
        # Measured by a small launcher: a child forked from this (large) test process would start with its
        # memory counted. RUSAGE_CHILDREN of the launcher is the CLI's peak (and its crawl child's).
        peak_file = tmp_path / "peak_kib"
        done = subprocess.run([sys.executable, "-c", MEASURE, str(peak_file), sys.executable, "-m", "etl.cli.main",
                               "ingest", "--source", "kazinform", "--date", DAY],
                              env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    loaded = {u for (u,) in query(settings, "SELECT canonical_url FROM articles")}
    assert loaded == set(ARTICLES) - {ARTICLES[4]}
    failed = query(settings, "SELECT step, url, reason FROM run_failures")
    assert [row[:2] for row in failed] == [("extract", ARTICLES[4])] and "too large" in failed[0][2]
    counts = query(settings, "SELECT extract_errors, counts->>'truncated_html', status FROM crawl_runs")
    assert counts == [(1, "1", "loaded")]
    for url in ARTICLES[5:7]:
        assert query(settings, "SELECT title FROM articles WHERE canonical_url = %s", (url,))[0][0] == \
            _expected(url)[0]
    peak_kib = int(peak_file.read_text())
    assert peak_kib < 500 * 1024, f"peak RSS {peak_kib // 1024} MB"
