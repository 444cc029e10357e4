"""Scrapy settings for newsarchive crawls: polite defaults, the override handler and the WARC writer.

Reads (through etl.core.config.load_settings): NEWSARCHIVE_USER_AGENT, NEWSARCHIVE_DOWNLOAD_DELAY,
NEWSARCHIVE_HOST_OVERRIDES, NEWSARCHIVE_TIMEZONE (and validates the rest of the environment).
Reads directly: NEWSARCHIVE_AUTOTHROTTLE (default: on when the download delay is above 0),
NEWSARCHIVE_RETRY_AFTER_MAX, NEWSARCHIVE_BACKOFF, NEWSARCHIVE_BLOCK_BACKOFF,
NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED. Every value can be overridden with `scrapy crawl -s NAME=value`.
"""

from __future__ import annotations

import os

from etl.core.config import load_settings
from etl.core.errors import SettingsError


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {value}")
    return value


def _env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 0 or 1, got {raw!r}")


_environment = load_settings()

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["scrapers.spiders"]
NEWSPIDER_MODULE = "scrapers.spiders"

# Politeness: robots.txt, a descriptive User-Agent, about one request a second per host.
ROBOTSTXT_OBEY = True
USER_AGENT = _environment.user_agent
DOWNLOAD_DELAY = _environment.download_delay or 0.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 30
AUTOTHROTTLE_ENABLED = _env_flag("NEWSARCHIVE_AUTOTHROTTLE", DOWNLOAD_DELAY > 0)
AUTOTHROTTLE_START_DELAY = max(DOWNLOAD_DELAY, 1.0)
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
    "scrapers.warc.WarcWriterMiddleware": 950,
}

NEWSARCHIVE_HOST_OVERRIDES = ",".join(f"{host}={url}" for host, url in _environment.host_overrides.items())
NEWSARCHIVE_TIMEZONE = _environment.timezone.key
NEWSARCHIVE_WARC_PATH = ""
NEWSARCHIVE_MANIFEST_PATH = ""
NEWSARCHIVE_RETRY_AFTER_MAX = _env_number("NEWSARCHIVE_RETRY_AFTER_MAX", 120.0)
NEWSARCHIVE_BACKOFF = _env_number("NEWSARCHIVE_BACKOFF", 5.0)
NEWSARCHIVE_BLOCK_BACKOFF = _env_number("NEWSARCHIVE_BLOCK_BACKOFF", 60.0)
NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED = int(_env_number("NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED", 10))
