"""NUR.KZ (kaz.) spider: RSS, the /latest/ listing and the article sitemap -> article pages, into the WARC.

Daily: /rss/all.rss items whose pubDate is in the interval, /latest/?page=N cards (their `<time datetime>`)
until a page holds nothing newer than the interval start. Backfill (and daily): /article-index-sitemap.xml,
monthly children overlapping the interval (by the YYYY-MM in the child's name, else its <lastmod>, which may
be frozen), entries whose <lastmod> is in the interval. Arguments as scrapers.spiders.base; yields no items.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from parsel import Selector

from etl.sources import NUR
from scrapers.spiders.base import ArchiveSpider, parse_instant
from scrapers.spiders.feeds import feed_entries, parse_pub_date

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response

logger = logging.getLogger(__name__)

FEED_URL = "https://kaz.nur.kz/rss/all.rss"
LATEST_URL = "https://kaz.nur.kz/latest/"
SITEMAP_INDEX_URL = "https://kaz.nur.kz/article-index-sitemap.xml"
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})(?!\d)")


def sitemap_entries(body: bytes, tag: str) -> Iterator[tuple[str, str]]:
    """Yield (loc, lastmod text) for each `<url>` or `<sitemap>` (`tag`) of a sitemap document."""
    selector = Selector(body=body, type="xml")
    selector.remove_namespaces()
    for node in selector.xpath(f"//{tag}"):
        loc = (node.xpath("loc/text()").get() or "").strip()
        if loc:
            yield loc, (node.xpath("lastmod/text()").get() or "").strip()


def read_lastmod(raw: str) -> datetime | None:
    """A sitemap <lastmod> (W3C datetime with offset) as an aware datetime, or None."""
    try:
        return parse_instant(raw, "lastmod") if raw else None
    except ValueError:
        return None


class NurSpider(ArchiveSpider):
    """Archive kaz.nur.kz articles published in [start, end)."""

    name = "nur"
    source = NUR
    allowed_domains = list(NUR.hosts)
    article_markers: ClassVar[tuple[str, ...]] = (
        *ArchiveSpider.article_markers,
        "div.formatted-body",
        "div.article-body__content",
    )

    async def start(self) -> AsyncIterator[Any]:
        """Request the feed, page 1 of /latest/ and the article sitemap index."""
        yield self.make_request(FEED_URL, "feed", self.parse_feed)
        yield self.make_request(f"{LATEST_URL}?page=1", "listing", self.parse_latest, page=1)
        yield self.make_request(SITEMAP_INDEX_URL, "sitemap", self.parse_sitemap_index)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """Schedule the feed's links whose pubDate falls in the interval (undated items are skipped)."""
        for link, pub_date in feed_entries(response.body):
            url = self.article_url(link)
            published = parse_pub_date(pub_date, self.tz) if pub_date else None
            if url is None or published is None:
                continue
            request = self.consider_article(url, published)
            if request is not None:
                yield request

    def parse_latest(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        """Schedule a /latest/ page's dated cards; follow the next page while cards are not all older."""
        selector = Selector(body=response.body, type="html")
        dated: list[datetime] = []
        for card in selector.css(".article-preview"):
            href = card.css("a::attr(href)").get()
            stamp = read_lastmod(card.css("time::attr(datetime)").get() or "")
            url = self.article_url(response.urljoin(href)) if href else None
            if url is None or stamp is None:
                continue
            dated.append(stamp)
            request = self.consider_article(url, stamp)
            if request is not None:
                yield request
        next_href = selector.css("a.pagination__next::attr(href)").get()
        passed = not dated or min(dated) < self.interval_start
        self.logger.info(
            "latest page %d: %d dated cards%s", page, len(dated), " (past the interval)" if passed else ""
        )
        if next_href and not passed and page < self.max_pages:
            yield self.make_request(
                f"{LATEST_URL}?page={page + 1}", "listing", self.parse_latest, page=page + 1
            )

    def child_overlaps(self, loc: str, lastmod: str, days: list[date]) -> bool:
        """Tell whether a monthly child sitemap may hold articles of the interval."""
        match = _MONTH_RE.search(loc.rsplit("/", 1)[-1])
        if match:
            return any((day.year, day.month) == (int(match[1]), int(match[2])) for day in days)
        stamp = read_lastmod(lastmod)
        return stamp is None or stamp >= self.interval_start

    def parse_sitemap_index(self, response: Response) -> Iterator[scrapy.Request]:
        """Request the children that overlap the interval."""
        days = self.local_dates()
        for loc, lastmod in sitemap_entries(response.body, "sitemap"):
            if self.child_overlaps(loc, lastmod, days):
                yield self.make_request(response.urljoin(loc), "sitemap", self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """Schedule the child's article URLs whose <lastmod> is in the interval."""
        for loc, lastmod in sitemap_entries(response.body, "url"):
            url = self.article_url(loc)
            stamp = read_lastmod(lastmod)
            if url is None or stamp is None:
                continue
            request = self.consider_article(url, stamp)
            if request is not None:
                yield request
