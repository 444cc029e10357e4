"""Scrapy settings of newsarchive crawls: static project defaults, and `crawl_settings`, which derives the
configurable ones from the one `etl.core.config.Settings` object (the crawl runner passes them with `-s`).

Reads no environment. Settings fields used by `crawl_settings`: user_agent, download_delay (None = the
source's own delay), autothrottle (None = on when that delay is above 0), host_overrides, timezone,
retry_after_max, backoff, block_backoff, max_consecutive_blocked, max_page_bytes (DOWNLOAD_MAXSIZE, the largest
page kept, also once decoded: scrapers/size.py; DOWNLOAD_WARNSIZE, half of it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from etl.core.config import DEFAULT_USER_AGENT

if TYPE_CHECKING:
    from etl.core.config import Settings
    from etl.sources import Source

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

# Politeness: robots.txt, a descriptive User-Agent, about one request a second per host.
ROBOTSTXT_OBEY = True
USER_AGENT = DEFAULT_USER_AGENT
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]

# No open ports, no cache, no cookies, no item output: the WARC is the output.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = False
LOG_LEVEL = "INFO"

DOWNLOAD_HANDLERS = {
    "http": "scrapers.handlers.HostOverrideDownloadHandler",
    "https": "scrapers.handlers.HostOverrideDownloadHandler",
}
DOWNLOADER_MIDDLEWARES = {
    # process_response runs from the highest number down: the WARC writer sees the bytes as received,
    # the challenge detector sees decoded bodies, and the back-off runs just before RetryMiddleware (550).
    "scrapers.middlewares.BackoffMiddleware": 555,
    "scrapers.middlewares.ChallengeMiddleware": 560,
    # After the WARC writer, before HttpCompressionMiddleware (590): a gzip bomb is marked, never decoded.
    "scrapers.size.PageSizeMiddleware": 900,
    "scrapers.warc.WarcWriterMiddleware": 950,
}


def crawl_settings(settings: Settings, source: Source) -> dict[str, str]:
    """The Scrapy settings of one crawl of `source` that come from `settings`, as `-s` values.

    DOWNLOAD_DELAY and AutoThrottle follow the effective delay (the override, else the source's own);
    NEWSARCHIVE_DOWNLOAD_DELAY carries the override alone (empty: none) for the spider's per-host slots.
    """
    delay = source.download_delay if settings.download_delay is None else settings.download_delay
    throttle = delay > 0 if settings.autothrottle is None else settings.autothrottle
    values: dict[str, object] = {
        "USER_AGENT": settings.user_agent,
        "DOWNLOAD_DELAY": delay,
        # The spider gives each host of the source a download slot: the spec's delay, or this override.
        "NEWSARCHIVE_DOWNLOAD_DELAY": "" if settings.download_delay is None else settings.download_delay,
        "AUTOTHROTTLE_ENABLED": throttle,
        "AUTOTHROTTLE_START_DELAY": max(delay, AUTOTHROTTLE_START_DELAY),
        "NEWSARCHIVE_HOST_OVERRIDES": ",".join(f"{host}={url}" for host, url in settings.host_overrides.items()),
        "NEWSARCHIVE_TIMEZONE": settings.timezone.key,
        "NEWSARCHIVE_RETRY_AFTER_MAX": settings.retry_after_max,
        "NEWSARCHIVE_BACKOFF": settings.backoff,
        "NEWSARCHIVE_BLOCK_BACKOFF": settings.block_backoff,
        "NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED": settings.max_consecutive_blocked,
        "DOWNLOAD_MAXSIZE": settings.max_page_bytes,
        "DOWNLOAD_WARNSIZE": settings.max_page_bytes // 2,
    }
    return {name: str(value) for name, value in values.items()}
