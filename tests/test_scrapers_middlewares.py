"""Politeness middlewares and the host-override handler, without a running crawl."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from etl.core.errors import SettingsError
from scrapers.handlers import HostOverrideDownloadHandler, rewrite_url
from scrapers.middlewares import (
    BACKOFF_META,
    BLOCKED_META,
    BackoffMiddleware,
    ChallengeMiddleware,
    is_challenge,
    parse_retry_after,
)
from scrapers.warc import RECORD_META

URL = "https://kaz.inform.kz/news/bir-aaa111/"
CHALLENGE = b"<html><head><title>Just a moment...</title></head><body><script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script></body></html>"


def fake_crawler(**settings: Any) -> Any:
    """A crawler stand-in with settings, stats and a downloader that keys slots by host."""
    downloader = SimpleNamespace(get_slot_key=lambda request: urlsplit(request.url).hostname or "")
    stats = SimpleNamespace(values={}, inc_value=lambda key: None)
    return SimpleNamespace(
        settings=Settings(settings), engine=SimpleNamespace(downloader=downloader), stats=stats
    )


def html(request: Request, status: int, body: bytes, headers: dict[str, str] | None = None) -> HtmlResponse:
    return HtmlResponse(url=request.url, status=status, body=body, headers=headers or {}, request=request)


def test_parse_retry_after() -> None:
    now = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert parse_retry_after(b"1") == 1.0
    assert parse_retry_after(" 120 ") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert parse_retry_after(b"soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (503, CHALLENGE, True),
        (403, b"<html><body><form id='cf-chl-widget'></form></body></html>", True),
        (403, b"<html><body>Forbidden</body></html>", False),
        (200, CHALLENGE, True),
        (200, b"<html><title>x</title><script>window._cf_chl_opt={cType: 'managed'};</script></html>", True),
        (200, b"<html><h1>News</h1><script src='/cdn-cgi/challenge-platform/scripts/jsd/main.js'></script>"
              b"<p>Just a moment... said the minister</p></html>", False),
        (404, CHALLENGE, False),
    ],
)
def test_is_challenge(status: int, body: bytes, expected: bool) -> None:
    request = Request(URL)
    assert is_challenge(html(request, status, body)) is expected


def test_challenge_is_blocked_and_not_retried() -> None:
    middleware = ChallengeMiddleware.from_crawler(fake_crawler(NEWSARCHIVE_BLOCK_BACKOFF=30))
    record = {"url": URL, "outcome": "http_error"}
    request = Request(URL, meta={RECORD_META: record})
    response = html(request, 503, CHALLENGE)
    assert middleware.process_response(request, response) is response
    assert request.meta["dont_retry"] is True
    assert request.meta[BLOCKED_META] is True
    assert request.meta[BACKOFF_META] == 30
    assert record["outcome"] == "blocked"


def test_challenge_served_with_200_is_blocked_and_backs_off_the_host() -> None:
    middleware = ChallengeMiddleware.from_crawler(fake_crawler(NEWSARCHIVE_BLOCK_BACKOFF=30))
    backoff = BackoffMiddleware.from_crawler(fake_crawler(NEWSARCHIVE_RETRY_AFTER_MAX=120))
    backoff.slot_key = lambda request: "kaz.inform.kz"  # type: ignore[method-assign]
    record = {"url": URL, "outcome": "ok", "status": 200}
    request = Request(URL, meta={RECORD_META: record})
    handed_on = middleware.process_response(request, html(request, 200, CHALLENGE))
    assert handed_on.status == 403 and handed_on.body == CHALLENGE  # the error path: the spider's errback
    assert record == {"url": URL, "outcome": "blocked", "status": 200}  # the WARC row keeps what was received
    assert request.meta["dont_retry"] is True and request.meta[BLOCKED_META] is True
    before = time.monotonic()
    backoff.process_response(request, handed_on)
    assert 29.9 <= backoff.paused_until["kaz.inform.kz"] - before <= 30.1


def test_ordinary_error_is_left_to_retry() -> None:
    middleware = ChallengeMiddleware.from_crawler(fake_crawler())
    request = Request(URL)
    middleware.process_response(request, html(request, 503, b"<html>busy</html>"))
    assert "dont_retry" not in request.meta and BLOCKED_META not in request.meta


def test_retry_after_pauses_the_host() -> None:
    middleware = BackoffMiddleware.from_crawler(
        fake_crawler(NEWSARCHIVE_RETRY_AFTER_MAX=120, NEWSARCHIVE_BACKOFF=5)
    )
    request = Request(URL)
    before = time.monotonic()
    middleware.process_response(request, html(request, 429, b"", {"Retry-After": "2"}))
    assert 1.9 <= middleware.paused_until["kaz.inform.kz"] - before <= 2.1

    capped = Request("https://en.inform.kz/news/x-abc123/")
    middleware.process_response(capped, html(capped, 503, b"", {"Retry-After": "86400"}))
    assert middleware.paused_until["en.inform.kz"] - time.monotonic() <= 120

    plain = Request("https://qz.inform.kz/news/x-abc123/")
    middleware.process_response(plain, html(plain, 429, b""))
    assert 4.5 <= middleware.paused_until["qz.inform.kz"] - time.monotonic() <= 5.1

    fine = Request("https://www.inform.kz/ru/x-abc123")
    middleware.process_response(fine, html(fine, 200, b""))
    middleware.process_response(fine, html(fine, 500, b""))
    assert "www.inform.kz" not in middleware.paused_until


def test_backoff_meta_pauses_without_retry_after() -> None:
    middleware = BackoffMiddleware.from_crawler(fake_crawler(NEWSARCHIVE_RETRY_AFTER_MAX=120))
    request = Request(URL, meta={BACKOFF_META: 60.0, "dont_retry": True})
    middleware.process_response(request, html(request, 403, CHALLENGE))
    assert BACKOFF_META not in request.meta
    assert 59 <= middleware.paused_until["kaz.inform.kz"] - time.monotonic() <= 60


def test_paused_host_holds_requests() -> None:
    middleware = BackoffMiddleware.from_crawler(fake_crawler(NEWSARCHIVE_RETRY_AFTER_MAX=120))
    middleware.pause("kaz.inform.kz", 0.3)

    async def timed(url: str) -> float:
        began = time.monotonic()
        await middleware.process_request(Request(url))
        return time.monotonic() - began

    assert asyncio.run(timed(URL)) >= 0.25
    assert asyncio.run(timed("https://en.inform.kz/")) < 0.05
    assert asyncio.run(timed(URL)) < 0.05


def test_rewrite_url() -> None:
    overrides = {"kaz.inform.kz": "http://127.0.0.1:8700"}
    assert rewrite_url("https://kaz.inform.kz/lenta/?page=2&start_date=2026-01-01", overrides) == (
        "http://127.0.0.1:8700/lenta/?page=2&start_date=2026-01-01"
    )
    assert rewrite_url("https://KAZ.inform.kz", overrides) == "http://127.0.0.1:8700/"
    assert (
        rewrite_url("https://kaz.inform.kz/news/x-abc123/#top", overrides)
        == "http://127.0.0.1:8700/news/x-abc123/"
    )
    assert rewrite_url("https://en.inform.kz/", overrides) is None
    prefixed = {"kaz.inform.kz": "http://127.0.0.1:8700/mirror"}
    assert (
        rewrite_url("https://kaz.inform.kz/rss/kz.xml", prefixed) == "http://127.0.0.1:8700/mirror/rss/kz.xml"
    )


class RecordingHandler:
    """An inner handler that answers every request and remembers what it was sent."""

    lazy = False

    def __init__(self) -> None:
        self.sent: list[Request] = []

    async def download_request(self, request: Request) -> Response:
        self.sent.append(request)
        return HtmlResponse(url=request.url, status=200, body=b"<html></html>", request=request)

    async def close(self) -> None:
        return None


def test_handler_sends_to_override_and_returns_real_url() -> None:
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_HOST_OVERRIDES": "kaz.inform.kz=http://127.0.0.1:8700"})
    inner = RecordingHandler()
    handler = HostOverrideDownloadHandler(crawler, {"kaz.inform.kz": "http://127.0.0.1:8700"}, inner=inner)
    real = "https://kaz.inform.kz/lenta/?page=1&start_date=2026-01-01&end_date=2026-01-01"
    request = Request(real, headers={"User-Agent": "ua"}, meta={"download_timeout": 5})
    response = asyncio.run(handler.download_request(request))
    sent = inner.sent[0]
    assert sent.url == "http://127.0.0.1:8700/lenta/?page=1&start_date=2026-01-01&end_date=2026-01-01"
    assert sent.headers[b"Host"] == b"kaz.inform.kz"
    assert sent.headers[b"User-Agent"] == b"ua"
    assert sent.meta["download_timeout"] == 5
    assert b"Host" not in request.headers
    assert response.url == real and isinstance(response, HtmlResponse)

    other = Request("https://en.inform.kz/")
    assert asyncio.run(handler.download_request(other)).url == "https://en.inform.kz/"
    assert inner.sent[1] is other
    asyncio.run(handler.close())


def test_handler_reads_setting_with_the_config_parser() -> None:
    crawler = get_crawler(settings_dict={"NEWSARCHIVE_HOST_OVERRIDES": "kaz.inform.kz=ftp://nope"})
    with pytest.raises(SettingsError, match="NEWSARCHIVE_HOST_OVERRIDES"):
        HostOverrideDownloadHandler.from_crawler(crawler)
