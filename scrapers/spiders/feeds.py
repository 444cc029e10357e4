"""Feed and sitemap helpers shared by the spiders: RSS items and Atom entries with their date, sitemap entries
with their date. Reads no settings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from parsel import Selector

from etl.core.dates import parse_iso


def parse_pub_date(raw: str, tz: ZoneInfo) -> datetime | None:
    """Read an RSS pubDate (RFC 822) or an Atom date (W3C); a date without zone is local time; else None."""
    try:
        value = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return parse_iso(raw, tz)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def feed_entries(body: bytes) -> Iterator[tuple[str, str]]:
    """Yield (link, date text) for each RSS item (pubDate) and Atom entry (published, else updated)."""
    selector = Selector(body=body, type="xml")
    selector.remove_namespaces()
    for item in selector.xpath("//item"):
        link = (item.xpath("link/text()").get() or item.xpath("guid/text()").get() or "").strip()
        if link:
            yield link, (item.xpath("pubDate/text()").get() or "").strip()
    for entry in selector.xpath("//entry"):
        link = (entry.xpath("link[not(@rel) or @rel='alternate']/@href").get() or "").strip()
        if link:
            yield link, (entry.xpath("published/text()").get() or entry.xpath("updated/text()").get() or "").strip()


@dataclass(frozen=True)
class SitemapEntry:
    """One `<url>` or `<sitemap>` element: its location and its date (publication date, else lastmod)."""

    loc: str
    moment: datetime | None
    raw: str


def sitemap_entries(body: bytes, tz: ZoneInfo) -> Iterator[SitemapEntry]:
    """Yield the entries of a sitemap or sitemap index, dated by news:publication_date, else lastmod."""
    selector = Selector(body=body, type="xml")
    selector.remove_namespaces()
    for node in selector.xpath("/*/url | /*/sitemap"):
        loc = (node.xpath("loc/text()").get() or "").strip()
        if not loc:
            continue
        raw = (node.xpath("news/publication_date/text()").get() or node.xpath("lastmod/text()").get() or "").strip()
        yield SitemapEntry(loc, parse_iso(raw, tz), raw)  # a bare date is local midnight
