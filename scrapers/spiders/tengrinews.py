"""Tengrinews (kaz.tengrinews.kz) spider: RSS and the news sitemaps -> article pages, all into the WARC.

Daily and backfill runs do the same: the RSS feed `/news.rss` (items whose pubDate is in the interval) and
the sitemap index `/kk-sitemap-index.xml`, whose children named `*sitemap-news*` are read unless their
`<lastmod>` is before the interval start (they then hold only older articles); an entry counts by its
`news:publication_date`, else its `<lastmod>`. Arguments and settings: those of scrapers.spiders.base.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from etl.sources import TENGRINEWS
from scrapers.spiders.base import ArchiveSpider
from scrapers.spiders.feeds import sitemap_entries

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response

logger = logging.getLogger(__name__)

FEED_URL = "https://kaz.tengrinews.kz/news.rss"
SITEMAP_INDEX_URL = "https://kaz.tengrinews.kz/kk-sitemap-index.xml"
NEWS_SITEMAP_MARK = "sitemap-news"


class TengrinewsSpider(ArchiveSpider):
    """Archive kaz.tengrinews.kz articles published in [start, end)."""

    name = "tengrinews"
    source = TENGRINEWS
    allowed_domains = list(TENGRINEWS.hosts)
    article_markers: ClassVar[tuple[str, ...]] = (
        *ArchiveSpider.article_markers, "div.content_main_text", "div.tn-news-text",
    )

    async def start(self) -> AsyncIterator[Any]:
        """Request the RSS feed and the sitemap index."""
        yield self.make_request(FEED_URL, "feed", self.parse_feed)
        yield self.make_request(SITEMAP_INDEX_URL, "feed", self.parse_sitemap_index)

    def parse_sitemap_index(self, response: Response) -> Iterator[scrapy.Request]:
        """Request the news sitemaps that may hold articles of the interval (lastmod not before its start)."""
        for entry in sitemap_entries(response.body, self.tz):
            if NEWS_SITEMAP_MARK not in entry.loc.rsplit("/", 1)[-1]:
                continue
            if entry.moment is not None and entry.moment < self.interval_start:
                self.logger.debug("sitemap %s last changed %s, before the interval: skipped", entry.loc, entry.raw)
                continue
            yield self.make_request(response.urljoin(entry.loc), "feed", self.parse_sitemap)
