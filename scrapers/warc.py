"""Downloader middleware that archives every HTTP exchange of a crawl into one gzipped WARC/1.1 file.

Reads: NEWSARCHIVE_WARC_PATH (the final file; written as `<path>.part` and renamed at spider close),
USER_AGENT, ROBOTSTXT_OBEY (noted in the warcinfo record).
Sends `warc_closed(path, records, reason)` once the file is complete; `records` are the manifest rows.
"""

from __future__ import annotations

import logging
import os
import weakref
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from io import BytesIO
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response

logger = logging.getLogger(__name__)

#: Signal sent after the WARC file is closed and renamed: handlers get `path`, `records`, `reason`.
warc_closed = object()

#: `request.meta` key holding the manifest row of the latest exchange of that request.
RECORD_META = "newsarchive_record"
#: `request.meta` key with the request's kind (`robots`, `feed`, `listing`, `article`, `other`).
KIND_META = "newsarchive_kind"
#: `request.meta` key with the date discovery (feed, sitemap, listing) gave for an article URL (ISO, with
#: offset); the spider copies it into the article's manifest row as `listed_at`.
LISTED_META = "newsarchive_listed_at"

BLOCKED_STATUSES = frozenset({403, 429})
_SKIPPED_HEADERS = frozenset({b"transfer-encoding"})


def classify_status(status: int) -> str:
    """Map an HTTP status to a manifest outcome (`ok`, `blocked` or `http_error`)."""
    if status in BLOCKED_STATUSES:
        return "blocked"
    if status == 0 or status >= 400:
        return "http_error"
    return "ok"


def request_kind(request: Request) -> str:
    """Return the kind the spider gave `request`, `robots` for robots.txt, otherwise `other`."""
    kind = request.meta.get(KIND_META)
    if kind:
        return str(kind)
    return "robots" if urlsplit(request.url).path == "/robots.txt" else "other"


def utc_stamp(moment: datetime) -> str:
    """Format an aware datetime as `2026-01-01T10:00:00.123456Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _header_list(headers: Headers) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():
        key = bytes(name)
        if key.lower() in _SKIPPED_HEADERS:
            # The body is stored de-chunked, so a chunked header would make readers decode it twice.
            pairs.extend((f"X-Archive-Orig-{_text(key)}", _text(v)) for v in values)
            continue
        pairs.extend((_text(key), _text(v)) for v in values)
    return pairs


def http_request_headers(request: Request) -> StatusAndHeaders:
    """Rebuild the request line and headers Scrapy sent for `request` (with the real `Host`)."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pairs = [("Host", parts.netloc.rpartition("@")[2])]
    pairs += [(k, v) for k, v in _header_list(request.headers) if k.lower() != "host"]
    return StatusAndHeaders(f"{target} HTTP/1.1", pairs, protocol=request.method)


def http_response_headers(response: Response) -> StatusAndHeaders:
    """Rebuild the status line and headers of `response` as received."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    protocol = response.protocol or "HTTP/1.1"
    if not protocol.upper().startswith("HTTP/"):
        protocol = "HTTP/1.1"
    return StatusAndHeaders(f"{response.status} {reason}", _header_list(response.headers), protocol=protocol)


class WarcFile:
    """One WARC file being written: `.part` while open, renamed to its final name by `close()`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.part_path = path.with_name(path.name + ".part")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[bytes] | None = self.part_path.open("wb")
        self.writer = WARCWriter(self._fh, gzip=True, warc_version="WARC/1.1")
        self.warcinfo_id: str | None = None

    @property
    def fh(self) -> IO[bytes]:
        """Return the open file handle."""
        if self._fh is None:
            raise ValueError(f"{self.path} is closed")
        return self._fh

    def write_warcinfo(self, info: dict[str, str]) -> None:
        """Write the leading warcinfo record."""
        record = self.writer.create_warcinfo_record(self.path.name, info)
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self.writer.write_record(record)

    def write_exchange(self, request: Request, response: Response, fetched: datetime) -> tuple[str, int, int]:
        """Write a request and a response record; return (response record id, offset, length)."""
        date = utc_stamp(fetched)
        uri = response.url
        common = {"WARC-Date": date}
        if self.warcinfo_id:
            common["WARC-Warcinfo-ID"] = self.warcinfo_id
        response_headers = dict(common)
        if response.ip_address is not None:
            response_headers["WARC-IP-Address"] = str(response.ip_address)
        resp = self.writer.create_warc_record(
            uri,
            "response",
            payload=BytesIO(response.body),
            length=len(response.body),
            http_headers=http_response_headers(response),
            warc_headers_dict=response_headers,
        )
        response_id: str = resp.rec_headers.get_header("WARC-Record-ID")
        request_headers = dict(common, **{"WARC-Concurrent-To": response_id})
        body = request.body or b""
        req = self.writer.create_warc_record(
            uri,
            "request",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http_request_headers(request),
            warc_headers_dict=request_headers,
        )
        request_id: str = req.rec_headers.get_header("WARC-Record-ID")
        resp.rec_headers.add_header("WARC-Concurrent-To", request_id)
        self.writer.write_record(req)
        offset = self.fh.tell()
        self.writer.write_record(resp)
        return response_id, offset, self.fh.tell() - offset

    def close(self) -> None:
        """Flush, fsync and rename the `.part` file to its final name."""
        if self._fh is None:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        os.replace(self.part_path, self.path)

    def abandon(self) -> None:
        """Close the file without renaming it: an incomplete WARC stays `.part`."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class WarcWriterMiddleware:
    """Write a request and a response record for every response, and a manifest row for every exchange."""

    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self.warc: WarcFile | None = None
        self.records: list[dict[str, Any]] = []
        self.failed = False
        self._sent: weakref.WeakSet[Request] = weakref.WeakSet()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build from NEWSARCHIVE_WARC_PATH; not configured when it is empty."""
        raw = crawler.settings.get("NEWSARCHIVE_WARC_PATH") or ""
        if not raw:
            raise NotConfigured("NEWSARCHIVE_WARC_PATH is not set")
        middleware = cls(crawler, Path(raw).absolute())
        if crawler.spider is None:
            raise NotConfigured("the WARC writer needs the spider to exist before the downloader")
        # Opened here, not on spider_opened: a file that cannot be written must stop the crawl at once.
        middleware.open(crawler.spider)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def open(self, spider: Spider) -> None:
        """Open `<path>.part` and write the warcinfo record."""
        self.warc = WarcFile(self.path)
        settings = self.crawler.settings
        info = {
            "software": f"newsarchive/{_version('newsarchive')} scrapy/{scrapy.__version__} warcio/{_version('warcio')}",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "http-header-user-agent": str(settings.get("USER_AGENT") or ""),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "isPartOf": str(getattr(spider, "run_key", "") or spider.name),
        }
        describe = getattr(spider, "warcinfo", None)
        if callable(describe):
            info.update({str(k): str(v) for k, v in describe().items()})
        self.warc.write_warcinfo(info)
        logger.info("writing WARC %s", self.warc.part_path)

    def process_request(self, request: Request) -> None:
        """Remember that `request` reached the download handler (so later errors are download errors)."""
        self._sent.add(request)

    def process_response(self, request: Request, response: Response) -> Response:
        """Archive `response` as received and attach its manifest row to `request.meta`."""
        self._sent.discard(request)
        if self.warc is None or self.failed:
            return response
        fetched = datetime.now(UTC)
        try:
            record_id, offset, length = self.warc.write_exchange(request, response, fetched)
        except OSError:
            logger.exception("cannot write %s: closing the spider, the file stays .part", self.warc.part_path)
            self.failed = True
            self._close_spider("warc_error")
            raise
        self._add_record(
            request,
            {
                "url": response.url,
                "status": response.status,
                "kind": request_kind(request),
                "outcome": classify_status(response.status),
                "warc_offset": offset,
                "warc_length": length,
                "record_id": record_id,
                "fetched_at": utc_stamp(fetched),
            },
        )
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Record a download error (status 0, no response record); let the retry logic go on."""
        if request not in self._sent or isinstance(exception, IgnoreRequest):
            return
        self._sent.discard(request)
        self._add_record(
            request,
            {
                "url": request.url,
                "status": 0,
                "kind": request_kind(request),
                "outcome": "http_error",
                "warc_offset": None,
                "warc_length": None,
                "record_id": None,
                "fetched_at": utc_stamp(datetime.now(UTC)),
                "error": f"{type(exception).__name__}: {exception}".strip().rstrip(":"),
            },
        )

    def _close_spider(self, reason: str) -> None:
        try:
            engine = self.crawler.engine
        except RuntimeError:  # no crawl running (unit tests)
            return
        deferred_from_coro(engine.close_spider_async(reason=reason))

    def _add_record(self, request: Request, record: dict[str, Any]) -> None:
        self.records.append(record)
        request.meta[RECORD_META] = record

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close and rename the WARC, then send `warc_closed`."""
        if self.warc is None:
            return
        if self.failed:
            self.warc.abandon()
            self.warc = None
            return
        self.warc.close()
        self.warc = None
        logger.info("WARC complete: %s (%d exchanges)", self.path, len(self.records))
        self.crawler.signals.send_catch_log(
            signal=warc_closed, path=self.path, records=self.records, reason=reason
        )
