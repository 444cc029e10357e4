"""Kazinform (Kazakh edition) spider: RSS and dated /lenta/ pages -> article pages, all into the WARC.

Arguments: start, end (ISO datetimes with offset; the interval [start, end)), run_key, known_ids_file,
refetch, max_pages. Reads the settings of scrapers.spiders.base; yields no items.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode, urljoin
from zoneinfo import ZoneInfo

from parsel import Selector
from scrapy.http import TextResponse

from etl.core.dates import month_number
from etl.sources import KAZINFORM
from scrapers.spiders.base import ArchiveSpider

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response

logger = logging.getLogger(__name__)

FEED_URL = "https://kaz.inform.kz/rss/kz.xml"
LISTING_URL = "https://kaz.inform.kz/lenta/"

_TIME_SELECTOR = "time, .allNewsCard_time, .meta-date, .card-date, .news-card__time"
_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_CLOCK_DATE_RE = re.compile(r"^(\d{1,2}):(\d{2}),?\s+(\d{1,2})\s+(\S+)\s+(\d{4})")
_DOTTED_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}),?\s+(\d{1,2}):(\d{2})")
def parse_listing_time(text: str, day: date, tz: ZoneInfo) -> datetime | None:
    """Read a listing card's time: ISO, `HH:MM` (on `day`), `HH:MM, DD <month> YYYY` or `DD.MM.YYYY HH:MM`."""
    text = " ".join(text.split())
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        pass
    else:
        return value if value.tzinfo else value.replace(tzinfo=tz)
    try:
        if match := _CLOCK_RE.match(text):
            return datetime.combine(day, time(int(match[1]), int(match[2])), tzinfo=tz)
        if (match := _CLOCK_DATE_RE.match(text)) and (month := month_number(match[4])):
            return datetime(int(match[5]), month, int(match[3]), int(match[1]), int(match[2]), tzinfo=tz)
        if match := _DOTTED_RE.match(text):
            return datetime(
                int(match[3]), int(match[2]), int(match[1]), int(match[4]), int(match[5]), tzinfo=tz
            )
    except ValueError:
        return None
    return None


def listing_url(day: date, page: int, base: str = LISTING_URL) -> str:
    """Return the dated /lenta/ page URL (of the lenta at `base`) for one local day."""
    query = urlencode({"page": page, "start_date": day.isoformat(), "end_date": day.isoformat()})
    return f"{base}?{query}"


def active_page(response: TextResponse) -> int | None:
    """Return the number in the active paginator item, or None when the page has no paginator."""
    items = response.css("li.page-item.active")
    if not items:
        return None
    digits = re.sub(r"\D", "", " ".join(items[0].css("::text").getall()))
    return int(digits) if digits else 0


class KazinformSpider(ArchiveSpider):
    """Archive kaz.inform.kz articles published in [start, end)."""

    name = "kazinform"
    source = KAZINFORM
    allowed_domains = list(KAZINFORM.hosts)
    #: The edition's RSS feed and dated lenta; the other editions' spiders (kazinform_editions.py) change them.
    feed_url: ClassVar[str] = FEED_URL
    listing_base: ClassVar[str] = LISTING_URL
    article_markers: ClassVar[tuple[str, ...]] = (
        *ArchiveSpider.article_markers, "div.article__body-text", "div.article__content", "div.article__time",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listed: dict[date, set[str]] = {}

    async def start(self) -> AsyncIterator[Any]:
        """Request the RSS feed and page 1 of the dated listing of every local day in the interval."""
        yield self.make_request(self.feed_url, "feed", self.parse_feed)
        for day in self.local_dates():
            yield self.make_request(listing_url(day, 1, self.listing_base), "listing", self.parse_listing, day=day, page=1)

    def listing_entries(self, response: TextResponse, day: date) -> list[tuple[str, datetime | None]]:
        """Return (article URL, card time or None) for every article link on a listing page, deduplicated."""
        entries: dict[str, datetime | None] = {}
        for link in response.css("a[href]"):
            url = self.article_url(response.urljoin(link.attrib["href"]))
            if url is None:
                continue
            published = self.card_time(link, url, day, response.url)
            if url not in entries or entries[url] is None:
                entries[url] = published
        return list(entries.items())

    def card_time(self, link: Selector, url: str, day: date, base_url: str) -> datetime | None:
        """Find the time printed on the card around `link` (the nearest ancestor holding only this article)."""
        for ancestor in reversed(link.xpath("ancestor-or-self::*")[-4:]):
            hrefs = ancestor.css("a::attr(href)").getall()
            urls = {self.article_url(urljoin(base_url, href)) for href in hrefs}
            if len({u for u in urls if u} - {url}) > 0:
                return None
            times = ancestor.css(_TIME_SELECTOR)
            if len(times) == 1:
                node = times[0]
                raw = node.attrib.get("datetime") or " ".join(node.css("::text").getall())
                return parse_listing_time(raw, day, self.tz)
        return None

    def parse_listing(self, response: Response, day: date, page: int) -> Iterator[scrapy.Request]:
        """Schedule a listing page's article links and ask for the next page while there is one."""
        if not isinstance(response, TextResponse):
            self.logger.warning("listing %s is not text", response.url)
            return
        active = active_page(response)
        if active is not None and active != page:
            self.logger.info(
                "listing %s: page %d asked, paginator shows %d: last page passed", day, page, active
            )
            return
        entries = self.listing_entries(response, day)
        listed = self.listed.setdefault(day, set())
        new = [url for url, _ in entries if url not in listed]
        listed.update(new)
        for url, published in entries:
            request = self.consider_article(url, published)
            if request is not None:
                yield request
        dated = [published for _, published in entries if published is not None]
        older = bool(dated) and all(moment < self.interval_start for moment in dated)
        self.logger.info("listing %s page %d: %d article links (%d new)", day, page, len(entries), len(new))
        if not entries or not new or older:
            return
        if active is None and page == 1 and not response.css("ul.pagination, nav.pagination, .pagination"):
            return
        if page >= self.max_pages:
            self.logger.warning("listing %s: stopped at max_pages=%d", day, self.max_pages)
            return
        yield self.make_request(
            listing_url(day, page + 1, self.listing_base), "listing", self.parse_listing, day=day, page=page + 1
        )
