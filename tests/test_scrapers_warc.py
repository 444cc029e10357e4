"""WARC writer middleware: records readable by warcio, payload as received, manifest offsets, errors, rename."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from scrapers.spiders.sources import SPIDERS
from scrapers.warc import KIND_META, RECORD_META, WarcWriterMiddleware, classify_status, warc_closed

KazinformSpider = SPIDERS["kazinform"]
URL = "https://kaz.inform.kz/news/bir-aaa111/"
HTML = '<html><body><h1>Тақырып</h1><div class="article__content"><p>Мәтін</p></div></body></html>'.encode()


class Closed:
    """Collects warc_closed signals (held strongly by the test: Scrapy keeps only weak references)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, path: Path, records: list[dict[str, Any]], reason: str) -> None:
        self.calls.append({"path": path, "records": records, "reason": reason})


def make_crawler(tmp_path: Path) -> Crawler:
    crawler = get_crawler(
        KazinformSpider,
        {
            "NEWSARCHIVE_WARC_PATH": str(tmp_path / "run.warc.gz"),
            "NEWSARCHIVE_MANIFEST_PATH": str(tmp_path / "run.manifest.json"),
            "USER_AGENT": "newsarchive-test/1.0",
            "ROBOTSTXT_OBEY": True,
        },
    )
    crawler.spider = KazinformSpider.from_crawler(
        crawler, start="2026-01-01T00:00:00+05:00", end="2026-01-02T00:00:00+05:00", run_key="run"
    )
    return crawler


def gzipped_response(request: Request, status: int = 200) -> HtmlResponse:
    return HtmlResponse(
        url=request.url,
        status=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Encoding": "gzip",
            "Transfer-Encoding": "chunked",
        },
        body=gzip.compress(HTML, mtime=0),
        request=request,
    )


def read_records(path: Path) -> list[Any]:
    out = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            out.append(
                (
                    record.rec_type,
                    dict(record.rec_headers.headers),
                    record.http_headers,
                    record.raw_stream.read(),
                )
            )
    return out


def test_exchange_is_archived_as_received(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    middleware = WarcWriterMiddleware.from_crawler(crawler)
    assert (tmp_path / "run.warc.gz.part").is_file()
    request = Request(URL, meta={KIND_META: "article"}, headers={"User-Agent": "newsarchive-test/1.0"})
    middleware.process_request(request)
    response = gzipped_response(request)
    assert middleware.process_response(request, response) is response
    row = request.meta[RECORD_META]
    assert row["url"] == URL and row["status"] == 200 and row["kind"] == "article" and row["outcome"] == "ok"
    assert row["fetched_at"].endswith("Z")

    closed = Closed()
    crawler.signals.connect(closed, signal=warc_closed)
    middleware.spider_closed(crawler.spider, "finished")
    warc = tmp_path / "run.warc.gz"
    assert warc.is_file() and not (tmp_path / "run.warc.gz.part").exists()
    assert closed.calls[0]["path"] == warc and closed.calls[0]["records"] == [row]

    records = read_records(warc)
    assert [r[0] for r in records] == ["warcinfo", "request", "response"]
    info = records[0][3].decode()
    assert "newsarchive" in info and "robots: obey" in info and "isPartOf: run" in info
    _, req_headers, req_http, _ = records[1]
    _, resp_headers, resp_http, raw_payload = records[2]
    assert req_headers["WARC-Target-URI"] == resp_headers["WARC-Target-URI"] == URL
    assert req_headers["WARC-Concurrent-To"] == resp_headers["WARC-Record-ID"] == row["record_id"]
    assert resp_headers["WARC-Concurrent-To"] == req_headers["WARC-Record-ID"]
    assert resp_headers["WARC-Date"] == req_headers["WARC-Date"]
    assert req_http.protocol == "GET" and req_http.statusline == "/news/bir-aaa111/ HTTP/1.1"
    assert req_http.get_header("Host") == "kaz.inform.kz"
    assert req_http.get_header("User-Agent") == "newsarchive-test/1.0"
    assert resp_http.get_statuscode() == "200"
    assert resp_http.get_header("Content-Encoding") == "gzip"
    assert resp_http.get_header("Transfer-Encoding") is None
    assert resp_http.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert gzip.decompress(raw_payload) == HTML

    with warc.open("rb") as fh:
        fh.seek(row["warc_offset"])
        record = next(iter(ArchiveIterator(fh)))
        assert record.rec_headers.get_header("WARC-Record-ID") == row["record_id"]
        assert record.content_stream().read() == HTML
        fh.seek(row["warc_offset"])
        member = fh.read(row["warc_length"])
    assert gzip.decompress(member).startswith(b"WARC/1.1\r\n")
    assert b"WARC-Type: response" in gzip.decompress(member)

    manifest = json.loads((tmp_path / "run.manifest.json").read_text(encoding="utf-8"))
    assert manifest["warc_file"] == "run.warc.gz" and manifest["finish_reason"] == "finished"
    assert manifest["records"] == [row] and manifest["counts"]["requests"] == 1


def test_download_errors_are_recorded_without_response_record(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    middleware = WarcWriterMiddleware.from_crawler(crawler)
    failed = Request("https://kaz.inform.kz/news/eki-bbb222/", meta={KIND_META: "article"})
    middleware.process_request(failed)
    assert middleware.process_exception(failed, ConnectionRefusedError("Connection refused")) is None
    denied = Request("https://kaz.inform.kz/search/")
    assert middleware.process_exception(denied, IgnoreRequest("Forbidden by robots.txt")) is None
    never_sent = Request("https://kaz.inform.kz/news/ush-ccc333/")
    assert middleware.process_exception(never_sent, TimeoutError()) is None

    closed = Closed()
    crawler.signals.connect(closed, signal=warc_closed)
    middleware.spider_closed(crawler.spider, "finished")
    (row,) = closed.calls[0]["records"]
    assert row["status"] == 0 and row["outcome"] == "http_error" and row["warc_offset"] is None
    assert row["error"].startswith("ConnectionRefusedError")
    assert [r[0] for r in read_records(tmp_path / "run.warc.gz")] == ["warcinfo"]


def test_robots_kind_and_other(tmp_path: Path) -> None:
    crawler = make_crawler(tmp_path)
    middleware = WarcWriterMiddleware.from_crawler(crawler)
    robots = Request("https://kaz.inform.kz/robots.txt")
    middleware.process_request(robots)
    middleware.process_response(robots, Response(robots.url, status=404, body=b"", request=robots))
    assert robots.meta[RECORD_META]["kind"] == "robots"
    assert robots.meta[RECORD_META]["outcome"] == "http_error"
    middleware.spider_closed(crawler.spider, "finished")


def test_not_configured_without_path() -> None:
    from scrapy.exceptions import NotConfigured

    crawler = get_crawler(KazinformSpider, {"NEWSARCHIVE_WARC_PATH": ""})
    with pytest.raises(NotConfigured):
        WarcWriterMiddleware.from_crawler(crawler)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "ok"),
        (301, "ok"),
        (403, "blocked"),
        (429, "blocked"),
        (404, "http_error"),
        (503, "http_error"),
        (0, "http_error"),
    ],
)
def test_classify_status(status: int, outcome: str) -> None:
    assert classify_status(status) == outcome


def test_write_failure_leaves_part_file_and_no_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler = make_crawler(tmp_path)
    middleware = WarcWriterMiddleware.from_crawler(crawler)
    assert middleware.warc is not None

    def disk_full(*args: object) -> tuple[str, int, int]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(middleware.warc, "write_exchange", disk_full)
    request = Request(URL)
    middleware.process_request(request)
    with pytest.raises(OSError, match="No space"):
        middleware.process_response(request, gzipped_response(request))
    closed = Closed()
    crawler.signals.connect(closed, signal=warc_closed)
    middleware.spider_closed(crawler.spider, "warc_error")
    assert closed.calls == []
    assert (tmp_path / "run.warc.gz.part").is_file()
    assert not (tmp_path / "run.warc.gz").exists()
    assert not (tmp_path / "run.manifest.json").exists()
