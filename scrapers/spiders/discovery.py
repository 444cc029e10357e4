"""The generic spider: runs each discovery method of its source spec (feeds, sitemaps, sitemap indexes,
dated listings, archives) and fetches every article of the interval once, into the WARC.

Arguments: start, end (ISO datetimes with offset; the interval [start, end)), run_key, known_ids_file,
refetch, max_pages. Reads the settings of scrapers.spiders.base; yields no items. Daily and backfill runs
do the same walk over their interval.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from parsel import Selector
from scrapy.http import TextResponse

from etl.core.dates import parse_iso
from etl.sources import Archive, DatedListing, Feed, Sitemap, SitemapIndex, discovery_label
from scrapers.spiders.base import ArchiveSpider
from scrapers.spiders.feeds import feed_entries, parse_pub_date, sitemap_entries
from scrapers.spiders.listings import active_page, parse_item_date, parse_listing_time

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response

    from etl.sources.spec import Discovery

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})(?!\d)")


class SourceSpider(ArchiveSpider):
    """Archive the articles of `source` published in [start, end), found by the spec's discovery methods."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listed: dict[date, set[str]] = {}

    async def start(self) -> AsyncIterator[Any]:
        """Request the first page of every discovery method, in the spec's order."""
        for method in self.source.discovery:
            for request in self.first_requests(method):
                yield request

    def first_requests(self, method: Discovery) -> Iterator[scrapy.Request]:
        """The requests that start one discovery method."""
        if isinstance(method, Feed):
            yield self.make_request(method.url, "feed", self.parse_feed, method=method)
        elif isinstance(method, Sitemap):
            yield self.make_request(method.url, "sitemap", self.parse_sitemap, method=method)
        elif isinstance(method, SitemapIndex):
            yield self.make_request(method.url, "sitemap", self.parse_sitemap_index, method=method)
        elif isinstance(method, DatedListing):
            for day in self.local_dates():
                yield self.listing_request(method, day, 1)
        else:
            yield self.archive_request(method, method.first_page)

    def probe_note(self, method: Discovery | None, response: Response, links: int) -> str:
        """Count a document read by `method` (probe mode) and return the method's label ("" without one)."""
        if method is None or not self.probe:
            return ""
        via = discovery_label(method)
        self.note(via, documents=1, links=links)
        self.logger.info("probe %s: %s holds %d links", via, response.url, links)
        return via

    # -- feeds and sitemaps -------------------------------------------------------------------------

    def parse_feed(self, response: Response, method: Feed | None = None) -> Iterator[scrapy.Request]:
        """Schedule the feed's article links whose pubDate falls in the interval (undated: see `dated_only`)."""
        items = 0
        dated_only = method is not None and method.dated_only
        entries = list(feed_entries(response.body))
        via = self.probe_note(method, response, len(entries))
        for link, pub_date in entries:
            url = self.article_url(link)
            if url is None:
                continue
            published = parse_pub_date(pub_date, self.tz) if pub_date else None
            if published is None and pub_date:
                self.logger.debug("unreadable pubDate %r for %s", pub_date, url)
            if published is None and dated_only:
                continue
            items += 1
            request = self.consider_article(url, published, via)
            if request is not None:
                yield request
        self.logger.info("feed %s: %d article items", response.url, items)

    def parse_sitemap(
        self, response: Response, method: Sitemap | SitemapIndex | None = None
    ) -> Iterator[scrapy.Request]:
        """Schedule the sitemap's articles whose date (news publication date, else lastmod) is in the interval."""
        entries = 0
        listed = list(sitemap_entries(response.body, self.tz))
        via = self.probe_note(method, response, len(listed))
        for entry in listed:
            url = self.article_url(entry.loc)
            if url is None or (entry.moment is None and method is not None and method.dated_only):
                continue
            entries += 1
            request = self.consider_article(url, entry.moment, via)
            if request is not None:
                yield request
        self.logger.info("sitemap %s: %d article entries", response.url, entries)

    def parse_sitemap_index(self, response: Response, method: SitemapIndex) -> Iterator[scrapy.Request]:
        """Request the children that may hold articles of the interval."""
        days = self.local_dates()
        for entry in sitemap_entries(response.body, self.tz):
            name = entry.loc.rsplit("/", 1)[-1]
            if method.child_contains not in name:
                continue
            month = _MONTH_RE.search(name) if method.month_in_name else None
            if month:
                wanted = any((day.year, day.month) == (int(month[1]), int(month[2])) for day in days)
            else:
                wanted = entry.moment is None or entry.moment >= self.interval_start
            if not wanted:
                self.logger.debug("sitemap %s (last changed %s) is before the interval: skipped", entry.loc, entry.raw)
                continue
            yield self.make_request(response.urljoin(entry.loc), "sitemap", self.parse_sitemap, method=method)

    # -- dated listings -----------------------------------------------------------------------------

    def listing_request(self, method: DatedListing, day: date, page: int) -> scrapy.Request:
        """The request of page `page` of the listing of `day`."""
        return self.make_request(
            method.page_url(day.isoformat(), page), "listing", self.parse_listing, method=method, day=day, page=page
        )

    def listing_entries(
        self, response: TextResponse, method: DatedListing, day: date
    ) -> list[tuple[str, datetime | None]]:
        """Return (article URL, card time or None) for every article link on a listing page, deduplicated."""
        entries: dict[str, datetime | None] = {}
        for link in response.css("a[href]"):
            url = self.article_url(response.urljoin(link.attrib["href"]))
            if url is None:
                continue
            published = self.card_time(link, url, method, day, response.url)
            if url not in entries or entries[url] is None:
                entries[url] = published
        return list(entries.items())

    def card_time(self, link: Selector, url: str, method: DatedListing, day: date, base_url: str) -> datetime | None:
        """Find the time printed on the card around `link` (the nearest ancestor holding only this article)."""
        for ancestor in reversed(link.xpath("ancestor-or-self::*")[-4:]):
            hrefs = ancestor.css("a::attr(href)").getall()
            urls = {self.article_url(urljoin(base_url, href)) for href in hrefs}
            if len({u for u in urls if u} - {url}) > 0:
                return None
            times = ancestor.css(method.card_time)
            if len(times) == 1:
                node = times[0]
                raw = node.attrib.get("datetime") or " ".join(node.css("::text").getall())
                return parse_listing_time(raw, day, self.tz)
        return None

    def parse_listing(
        self, response: Response, method: DatedListing, day: date, page: int
    ) -> Iterator[scrapy.Request]:
        """Schedule a listing page's article links and ask for the next page while there is one."""
        if not isinstance(response, TextResponse):
            self.logger.warning("listing %s is not text", response.url)
            return
        active = active_page(response, method.active_page)
        if active is not None and active != page:
            self.logger.info("listing %s: page %d asked, paginator shows %d: last page passed", day, page, active)
            return
        entries = self.listing_entries(response, method, day)
        via = self.probe_note(method, response, len(response.css("a[href]")))
        listed = self.listed.setdefault(day, set())
        new = [url for url, _ in entries if url not in listed]
        listed.update(new)
        for url, published in entries:
            request = self.consider_article(url, published, via)
            if request is not None:
                yield request
        dated = [published for _, published in entries if published is not None]
        older = bool(dated) and all(moment < self.interval_start for moment in dated)
        self.logger.info("listing %s page %d: %d article links (%d new)", day, page, len(entries), len(new))
        if not entries or not new or older:
            return
        if active is None and page == 1 and not response.css(method.pagination):
            return
        if page >= self.max_pages:
            self.logger.warning("listing %s: stopped at max_pages=%d", day, self.max_pages)
            return
        yield self.listing_request(method, day, page + 1)

    # -- archives -----------------------------------------------------------------------------------

    def archive_request(self, method: Archive, page: int) -> scrapy.Request:
        """The request of page `page` of an archive."""
        return self.make_request(method.page_url(page), "listing", self.parse_archive, method=method, page=page)

    def archive_date(self, raw: str, method: Archive) -> datetime | date | None:
        """An item's date: an ISO instant (naive: the source's zone), or a local day (`date_kind="day"`), or None."""
        return parse_item_date(raw) if method.date_kind == "day" else parse_iso(raw, self.tz)

    def parse_archive(self, response: Response, method: Archive, page: int) -> Iterator[scrapy.Request]:
        """Schedule the page's items of the interval; ask for the next page unless an item is older than it."""
        selector = Selector(body=response.body, type="html")
        days = self.local_dates()
        older: list[bool] = []
        items = selector.css(method.items)
        via = self.probe_note(method, response, len(items))
        for item in items:
            href = item.css(method.link).get()
            stamp = self.archive_date(" ".join(item.css(method.date).getall()), method)
            url = self.article_url(response.urljoin(href)) if href else None
            if url is None or stamp is None:
                continue
            if isinstance(stamp, datetime):
                published: datetime | None = stamp
                older.append(stamp < self.interval_start)
            else:  # a local day: in the interval when it is one of the interval's days
                published = None if stamp in days else datetime.combine(stamp, time(0, 0), tzinfo=self.tz)
                older.append(stamp < days[0])
            request = self.consider_article(url, published, via)
            if request is not None:
                yield request
        passed = not older or any(older)
        self.logger.info("archive %s: %d dated items%s", response.url, len(older), " (past the interval)" * passed)
        more = not method.next_page or bool(selector.css(method.next_page))
        if more and not passed and page - method.first_page + 1 < self.max_pages:
            yield self.archive_request(method, page + 1)
