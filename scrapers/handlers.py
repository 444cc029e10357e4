"""An http/https download handler that can send a host's requests to another base URL (the replay site).

Reads: NEWSARCHIVE_HOST_OVERRIDES (`host=http://127.0.0.1:8700,...`, see etl.core.config.parse_host_overrides).
Everything above the handler (robots.txt, redirects, spiders, the WARC writer) sees the real URL only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler

from etl.core.config import parse_host_overrides

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.core.downloader.handlers import DownloadHandlerProtocol
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


def rewrite_url(url: str, overrides: Mapping[str, str]) -> str | None:
    """Return `url` moved onto its host's override base URL (same path and query), or None if not mapped."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    base = overrides.get(host)
    if base is None:
        return None
    path = parts.path or "/"
    return f"{base}{path}" + (f"?{parts.query}" if parts.query else "")


class HostOverrideDownloadHandler(BaseDownloadHandler):
    """Wrap Scrapy's HTTP/1.1 handler; requests to overridden hosts go to the mapped base with a `Host` header."""

    lazy = False

    def __init__(
        self, crawler: Crawler, overrides: Mapping[str, str], inner: DownloadHandlerProtocol | None = None
    ) -> None:
        super().__init__(crawler)
        self.overrides = dict(overrides)
        self.inner: DownloadHandlerProtocol = inner or HTTP11DownloadHandler.from_crawler(crawler)
        if self.overrides:
            logger.info(
                "host overrides: %s", ", ".join(f"{h} -> {u}" for h, u in sorted(self.overrides.items()))
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Read the host map from NEWSARCHIVE_HOST_OVERRIDES."""
        raw = crawler.settings.get("NEWSARCHIVE_HOST_OVERRIDES") or ""
        return cls(crawler, parse_host_overrides(raw))

    async def download_request(self, request: Request) -> Response:
        """Download `request`, through its host's override when there is one."""
        target = rewrite_url(request.url, self.overrides)
        if target is None:
            return await self.inner.download_request(request)
        real_host = urlsplit(request.url).netloc.rpartition("@")[2]
        headers = request.headers.copy()
        headers[b"Host"] = real_host
        response = await self.inner.download_request(request.replace(url=target, headers=headers))
        return response.replace(url=request.url)

    async def close(self) -> None:
        """Close the wrapped handler's connection pool."""
        await self.inner.close()
