"""Azattyq (RFE/RL Kazakh service) spider: section archives /z/<id>?p=N -> article pages, into the WARC.

Each section archive lists `li.archive-list__item .media-block` items newest first, each with its local
date (`DD <month> YYYY`, no time) [guess]. An item is in the interval when its date is one of the interval's
local dates (so intervals are whole local days); a section's walk stops at a page without dated items, at
max_pages, or at the first page holding an item older than the interval. Daily and backfill discovery are
the same walk. Article URLs end in `.html`: no trailing slash. Arguments as scrapers.spiders.base.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from parsel import Selector

from etl.core.dates import month_number
from etl.sources import AZATTYQ
from scrapers.spiders.base import ArchiveSpider

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response

logger = logging.getLogger(__name__)

SITE = "https://www.azattyq.org"
SECTIONS = ("330", "360")  # Kazakhstan, world [guess]
_DATE_RE = re.compile(r"(\d{1,2})\s+(\S+)\s+(\d{4})")


def archive_url(section: str, page: int) -> str:
    """The section archive page URL (`/z/330`, `/z/330?p=1`, ...)."""
    return f"{SITE}/z/{section}" + (f"?p={page}" if page else "")


def parse_item_date(text: str) -> date | None:
    """Read an archive item date `1 қаңтар 2026` (any month language the shared helper knows), or None."""
    match = _DATE_RE.search(" ".join(text.split()))
    month = month_number(match[2]) if match else None
    if match is None or month is None:
        return None
    try:
        return date(int(match[3]), month, int(match[1]))
    except ValueError:
        return None


def archive_items(body: bytes) -> Iterator[tuple[str, str]]:
    """Yield (href, date text) for each archive list item."""
    selector = Selector(body=body, type="html")
    for block in selector.css("li.archive-list__item .media-block"):
        href = block.css("a::attr(href)").get()
        if href:
            yield href, " ".join(block.css(".date ::text").getall())


class AzattyqSpider(ArchiveSpider):
    """Archive www.azattyq.org articles published in [start, end)."""

    name = "azattyq"
    source = AZATTYQ
    allowed_domains = list(AZATTYQ.hosts)
    article_markers: ClassVar[tuple[str, ...]] = (*ArchiveSpider.article_markers, "body.pg-article")

    def article_url(self, url: str) -> str | None:
        """The canonical article URL (https, no query, fragment or trailing slash), or None."""
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        if host not in self.source.hosts or parts.scheme not in ("http", "https"):
            return None
        candidate = urlunsplit(("https", host, parts.path.rstrip("/"), "", ""))
        return candidate if self.source.is_article_url(candidate) else None

    async def start(self) -> AsyncIterator[Any]:
        """Request the first archive page of every section."""
        for section in SECTIONS:
            yield self.make_request(
                archive_url(section, 0), "listing", self.parse_archive, section=section, page=0
            )

    def parse_archive(self, response: Response, section: str, page: int) -> Iterator[scrapy.Request]:
        """Schedule the page's items of the interval's days; ask for the next page unless past it."""
        days = set(self.local_dates())
        first = min(days)
        dates: list[date] = []
        for href, raw in archive_items(response.body):
            url = self.article_url(response.urljoin(href))
            day = parse_item_date(raw)
            if url is None or day is None:
                continue
            dates.append(day)
            published = None if day in days else datetime.combine(day, time(0, 0), tzinfo=self.tz)
            request = self.consider_article(url, published)
            if request is not None:
                yield request
        passed = not dates or min(dates) < first
        self.logger.info(
            "archive /z/%s p=%d: %d dated items%s",
            section,
            page,
            len(dates),
            " (past the interval)" if passed else "",
        )
        if not passed and page + 1 < self.max_pages:
            yield self.make_request(
                archive_url(section, page + 1), "listing", self.parse_archive, section=section, page=page + 1
            )
