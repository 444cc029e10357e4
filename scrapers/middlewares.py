"""Politeness middlewares: Cloudflare challenge detection, host back-off (Retry-After on 429/503) and the
per-host concurrency limit.

Reads: NEWSARCHIVE_BLOCK_BACKOFF (seconds a host is paused after a challenge page),
NEWSARCHIVE_RETRY_AFTER_MAX (cap on any pause), NEWSARCHIVE_BACKOFF (pause after a 429/503 that has no
usable Retry-After header), DOWNLOAD_SLOTS (each slot's `concurrency`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import DeferredSemaphore

from scrapers.warc import RECORD_META

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: `request.meta` flag set on a request whose response was a challenge page.
BLOCKED_META = "newsarchive_blocked"
#: `request.meta` key asking BackoffMiddleware to pause the request's host for that many seconds.
BACKOFF_META = "newsarchive_backoff"
#: `request.meta` key: the slot whose concurrency place the request holds (SlotConcurrencyMiddleware).
SLOT_HELD_META = "newsarchive_slot_held"

CHALLENGE_STATUSES = frozenset({403, 429, 503})
CHALLENGE_MARKERS = (b"Just a moment...", b"cf-chl", b"challenge-platform")
#: Markers of the challenge page itself, strong enough to tell one served with 200 from a real page (which
#: may load Cloudflare's `challenge-platform/scripts/jsd` script on an ordinary page).
PAGE_CHALLENGE_MARKERS = (b"<title>Just a moment...</title>", b"_cf_chl_opt", b"cf-chl-widget", b"/chl_page/")
#: The status a challenge served with 200 is handed on with, so that it takes the error path (WARC: as received).
BLOCKED_STATUS = 403
RETRY_AFTER_STATUSES = frozenset({429, 503})


def is_challenge(response: Response) -> bool:
    """Tell whether `response` is a Cloudflare-style challenge page (a block, not content), whatever its status
    says: 403/429/503 with any challenge marker, or a 2xx carrying the challenge page's own markers."""
    if response.status in CHALLENGE_STATUSES:
        return any(marker in response.body for marker in CHALLENGE_MARKERS)
    if 200 <= response.status < 300:
        return any(marker in response.body for marker in PAGE_CHALLENGE_MARKERS)
    return False


def parse_retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Return the seconds a Retry-After value (delta-seconds or HTTP date) asks for, or None if unreadable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class ChallengeMiddleware:
    """Mark challenge pages as `blocked`: no retry, the host backs off, the manifest row says so."""

    def __init__(self, crawler: Crawler, backoff: float) -> None:
        self.crawler = crawler
        self.backoff = backoff

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read NEWSARCHIVE_BLOCK_BACKOFF."""
        return cls(crawler, crawler.settings.getfloat("NEWSARCHIVE_BLOCK_BACKOFF", 60.0))

    def process_response(self, request: Request, response: Response) -> Response:
        """Flag a challenge page and stop it from being retried; one served with 200 goes on as a 403."""
        if not is_challenge(response):
            return response
        status = response.status
        if status < 300:
            response = response.replace(status=BLOCKED_STATUS)
        request.meta["dont_retry"] = True
        request.meta[BLOCKED_META] = True
        if self.backoff > 0:
            request.meta[BACKOFF_META] = self.backoff
        record = request.meta.get(RECORD_META)
        if isinstance(record, dict) and record.get("url") == response.url:
            record["outcome"] = "blocked"
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsarchive/challenge_pages")
        logger.warning("challenge page (HTTP %d) at %s: counted as blocked", status, response.url)
        return response


class BackoffMiddleware:
    """Pause a host (its download slot) after 429/503 as Retry-After asks, or after a challenge page."""

    def __init__(self, crawler: Crawler, max_wait: float, default_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.default_wait = default_wait
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read NEWSARCHIVE_RETRY_AFTER_MAX and NEWSARCHIVE_BACKOFF."""
        settings = crawler.settings
        max_wait = settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX", 120.0)
        if max_wait <= 0:
            raise NotConfigured("NEWSARCHIVE_RETRY_AFTER_MAX is 0: no back-off")
        return cls(crawler, max_wait, settings.getfloat("NEWSARCHIVE_BACKOFF", 5.0))

    def slot_key(self, request: Request) -> str:
        """Return the download slot (normally the host) `request` goes through."""
        assert self.crawler.engine is not None
        return self.crawler.engine.downloader.get_slot_key(request)

    def pause(self, key: str, seconds: float) -> float:
        """Pause slot `key` for `seconds` (capped); return the pause applied."""
        seconds = min(max(seconds, 0.0), self.max_wait)
        self.paused_until[key] = max(self.paused_until.get(key, 0.0), monotonic() + seconds)
        return seconds

    async def process_request(self, request: Request) -> None:
        """Hold `request` until its host's pause is over."""
        key = self.slot_key(request)
        until = self.paused_until.get(key)
        if until is None:
            return
        wait = until - monotonic()
        if wait <= 0:
            self.paused_until.pop(key, None)
            return
        logger.debug("holding %s for %.1f s (host paused)", request.url, wait)
        await sleep(wait)

    def process_response(self, request: Request, response: Response) -> Response:
        """Start a pause for the response's host when the server or a challenge page asks for one."""
        wait = request.meta.pop(BACKOFF_META, None)
        reason = "challenge page"
        if wait is None and response.status in RETRY_AFTER_STATUSES and not request.meta.get("dont_retry"):
            wait = parse_retry_after(response.headers.get(b"Retry-After"))
            reason = "Retry-After"
            if wait is None:
                wait, reason = self.default_wait, "no Retry-After"
        if wait:
            applied = self.pause(self.slot_key(request), float(wait))
            logger.info(
                "HTTP %d from %s (%s): pausing %s for %.1f s",
                response.status,
                response.url,
                reason,
                self.slot_key(request),
                applied,
            )
        return response


class SlotConcurrencyMiddleware:
    """Hold a request while its download slot has `concurrency` requests in flight (DOWNLOAD_SLOTS).

    Scrapy's downloader starts every queued request of a slot without a delay at once, whatever the slot's
    concurrency (scrapy/scrapy#6982), so a source's `concurrency_per_host` is enforced here.
    """

    def __init__(self, crawler: Crawler, limits: dict[str, int]) -> None:
        self.crawler = crawler
        self.semaphores = {key: DeferredSemaphore(limit) for key, limit in limits.items()}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read each DOWNLOAD_SLOTS entry's `concurrency`."""
        slots = crawler.settings.getdict("DOWNLOAD_SLOTS")
        limits = {key: int(slot["concurrency"]) for key, slot in slots.items() if slot.get("concurrency")}
        if not limits:
            raise NotConfigured("no DOWNLOAD_SLOTS concurrency")
        return cls(crawler, limits)

    async def process_request(self, request: Request) -> None:
        """Wait for a free place in the request's slot."""
        assert self.crawler.engine is not None
        key = self.crawler.engine.downloader.get_slot_key(request)
        semaphore = self.semaphores.get(key)
        if semaphore is not None:
            await maybe_deferred_to_future(semaphore.acquire())
            request.meta[SLOT_HELD_META] = key

    def release(self, request: Request) -> None:
        """Give back the place `request` holds, if any."""
        key = request.meta.pop(SLOT_HELD_META, None)
        if key is not None:
            self.semaphores[key].release()

    def process_response(self, request: Request, response: Response) -> Response:
        """Free the place when the response is in."""
        self.release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Free the place when the download failed."""
        self.release(request)
