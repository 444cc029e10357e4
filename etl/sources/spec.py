"""The declarative source spec: one `Source` per outlet edition, with its discovery methods as data.

Everything else about a source is derived from its spec: the spider (scrapers/spiders/sources.py), the parser
used by extraction, the `sources` table rows (synced by `migrate`), `newsarchive sources` and the table in
docs/sources.md. Reads no settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from etl.core.model import Article
from etl.core.urls import ArticleUrls
from etl.extract import ParserFamily


def _path(url: str) -> str:
    """The path and query of `url`, as printed in descriptions."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class _Dated:
    """A document of article URLs with dates: the entries dated in the interval count; undated entries count
    too, unless `dated_only`."""

    url: str
    dated_only: bool = False
    DESCRIPTION: ClassVar[str] = ""

    def describe(self) -> str:
        """One line for `newsarchive sources` and docs/sources.md."""
        return self.DESCRIPTION.format(path=_path(self.url))


class Feed(_Dated):
    """An RSS/Atom feed, its items dated by pubDate."""

    DESCRIPTION = "RSS {path}: items whose pubDate is in the interval"


class Sitemap(_Dated):
    """A sitemap of articles, its entries dated by news:publication_date, else <lastmod>."""

    DESCRIPTION = "sitemap {path}: entries whose publication date (else <lastmod>) is in the interval"


@dataclass(frozen=True)
class SitemapIndex:
    """A sitemap index whose children are read as `Sitemap`s when they may hold articles of the interval.

    A child is read when its file name contains `child_contains`; then, when `month_in_name` and the name
    holds a `YYYY-MM`, when that month is one of the interval's; else unless its <lastmod> is before the
    interval start.
    """

    url: str
    child_contains: str = ""
    month_in_name: bool = False
    dated_only: bool = False

    def describe(self) -> str:
        """One line for `newsarchive sources` and docs/sources.md."""
        named = f"children named *{self.child_contains}*" if self.child_contains else "children"
        month = " of the interval's months (by the YYYY-MM in the name, else <lastmod>)" if self.month_in_name else (
            " whose <lastmod> is not before the interval start")
        return f"sitemap index {_path(self.url)}: {named}{month}; their entries dated in the interval"


@dataclass(frozen=True)
class DatedListing:
    """A listing filtered by a local day, paginated: `url` holds `{day}` (YYYY-MM-DD) and `{page}` (1, 2, ...).

    The walk of a day stops at a page whose paginator shows another page than asked (`active_page`), with no
    article link or none new, whose dated cards are all older than the interval, at page 1 without a
    paginator (`pagination`), or at max_pages. A card's time is the one `card_time` element around its link.
    """

    url: str
    card_time: str = "time"
    active_page: str = "li.page-item.active"
    pagination: str = "ul.pagination, nav.pagination, .pagination"

    def page_url(self, day: str, page: int) -> str:
        """The URL of page `page` of the listing of `day`."""
        return self.url.format(day=day, page=page)

    def describe(self) -> str:
        """One line for `newsarchive sources` and docs/sources.md."""
        return f"dated listing {_path(self.url)} for each local day of the interval, page by page"


@dataclass(frozen=True)
class Archive:
    """A listing of items newest first, paginated by `url` with `{page}` (`first_url` for `first_page`).

    Each item (`items`) gives a link and a date (`date`: text or attribute selector, read as an ISO instant
    or, with `date_kind="day"`, as a local day `DD <month> YYYY`); undated items are skipped. The walk goes
    on while the page's dates are not older than the interval (and `next_page`, if set, is on the page).
    """

    url: str
    items: str
    date: str
    date_kind: Literal["instant", "day"] = "instant"
    link: str = "a::attr(href)"
    first_page: int = 1
    first_url: str = ""
    next_page: str = ""

    def page_url(self, page: int) -> str:
        """The URL of page `page`."""
        return self.first_url if page == self.first_page and self.first_url else self.url.format(page=page)

    def describe(self) -> str:
        """One line for `newsarchive sources` and docs/sources.md."""
        return f"archive {_path(self.first_url or self.url)} ({self.items}), newest first, until past the interval"


Discovery = Feed | Sitemap | SitemapIndex | DatedListing | Archive


def discovery_label(method: Discovery) -> str:
    """A short name of a discovery method for probe tables and manifests, e.g. `Feed /rss/kz.xml`."""
    url = method.first_url or method.url if isinstance(method, Archive) else method.url
    return f"{type(method).__name__} {urlsplit(url).path}"


@dataclass(frozen=True)
class Fact:
    """Something believed about the live site but not yet checked there, with how `newsarchive probe` checks it.

    `discovery`: part of a discovery method's label (`discovery_label`, e.g. "/rss/qz.xml"): confirmed when
    that method finds article URLs, refuted when it finds none. `version`: a parser version: confirmed when a
    probed page is parsed by that version with its own body selectors, refuted when pages of that version
    need the generic fallback. `urls`: confirmed when discovery finds links matching the article URL rule.
    A fact with none of these is reported untested.
    """

    text: str
    discovery: str = ""
    version: str = ""
    urls: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Source:
    """One outlet edition: its URL rule, discovery, politeness, parser and the facts not yet confirmed."""

    name: str
    display_name: str
    base_url: str
    language: str
    urls: ArticleUrls
    parser: ParserFamily
    discovery: tuple[Discovery, ...]
    #: Every language the edition publishes in (ISO 639-1); empty means just `language`.
    languages: tuple[str, ...] = ()
    #: The zone of times printed without an offset (pages, feeds, listings).
    timezone: str = "Asia/Almaty"
    #: Politeness for each of the hosts: seconds between requests and parallel requests per host.
    download_delay: float = 1.0
    concurrency_per_host: int = 1
    enabled: bool = True
    #: Facts about the live site not yet confirmed on a live run (tags as in ../shared/SOURCES.md).
    unconfirmed: tuple[Fact, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]+", self.name):
            raise ValueError(f"source name {self.name!r} must be lower-case letters, digits and '_'")
        if not self.discovery:
            raise ValueError(f"source {self.name}: no discovery method")

    @property
    def hosts(self) -> tuple[str, ...]:
        """The hosts of the article URLs (and of discovery)."""
        return self.urls.hosts

    @property
    def spider(self) -> str:
        """The Scrapy spider name (`scrapy crawl <spider>`)."""
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        """The time zone as an object."""
        return ZoneInfo(self.timezone)

    def article_id(self, url: str) -> str | None:
        """Return the article id encoded in `url`, or None when it is not an article URL of this source."""
        return self.urls.article_id(url)

    def is_article_url(self, url: str) -> bool:
        """Tell whether `url` is an article page of this source."""
        return self.urls.article_id(url) is not None

    def canonical_url(self, url: str) -> str | None:
        """The canonical form of an article URL of this source, or None."""
        return self.urls.canonical(url)

    def extract(
        self, url: str, html: str | bytes, *, fetched_at: datetime | None = None,
        listed_at: datetime | None = None, content_type: str | None = None,
    ) -> Article:
        """Parse one fetched page of this source into an `Article` (ExtractionError when it is not one)."""
        return self.parser.extract(self, url, html, fetched_at=fetched_at, listed_at=listed_at,
                                   content_type=content_type)
