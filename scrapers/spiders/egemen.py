"""Egemen Qazaqstan (egemen.kz) spider: RSS and /sitemap.xml -> article pages, all into the WARC.

Daily and backfill runs do the same: the RSS feed `/rss` (about 50 newest items, dated by pubDate) and
`/sitemap.xml` (every article, dated by `<lastmod>`). Article URLs keep the site's form (no trailing
slash); both schemes, `/article/<id>-<slug>` and `/news/<id>` (whose old addresses answer 301), are
accepted and an article is fetched once per numeric id. Arguments and settings: those of scrapers.spiders.base.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from etl.sources import EGEMEN
from scrapers.spiders.base import ArchiveSpider, normalise_article_url

if TYPE_CHECKING:
    import scrapy

logger = logging.getLogger(__name__)

FEED_URL = "https://egemen.kz/rss"
SITEMAP_URL = "https://egemen.kz/sitemap.xml"


class EgemenSpider(ArchiveSpider):
    """Archive egemen.kz articles published in [start, end)."""

    name = "egemen"
    source = EGEMEN
    allowed_domains = list(EGEMEN.hosts)
    article_markers: ClassVar[tuple[str, ...]] = (
        *ArchiveSpider.article_markers, "h1.responsive_title", "div.news-body",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url_of_id: dict[str, str] = {}

    async def start(self) -> AsyncIterator[Any]:
        """Request the RSS feed and the sitemap."""
        yield self.make_request(FEED_URL, "feed", self.parse_feed)
        yield self.make_request(SITEMAP_URL, "feed", self.parse_sitemap)

    def article_url(self, url: str) -> str | None:
        """The article URL in the site's form (https, no query, no trailing slash), or None."""
        normalised = normalise_article_url(url, self.source)
        return normalised.rstrip("/") if normalised else None

    def consider_article(self, url: str, published: datetime | None) -> scrapy.Request | None:
        """As the base, but an id already seen under the other URL scheme counts (and is fetched) once."""
        article_id = self.source.article_id(url) or url
        url = self.url_of_id.setdefault(article_id, url)
        return super().consider_article(url, published)
