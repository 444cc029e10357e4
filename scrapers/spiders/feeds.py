"""RSS helpers shared by the spiders: item links with their pubDate, and pubDate parsing. Reads no settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from parsel import Selector


def parse_pub_date(raw: str, tz: ZoneInfo) -> datetime | None:
    """Read an RSS pubDate (RFC 822; a date without zone is local time), or None."""
    try:
        value = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def feed_entries(body: bytes) -> Iterator[tuple[str, str]]:
    """Yield (link, pubDate text) for each RSS item."""
    selector = Selector(body=body, type="xml")
    selector.remove_namespaces()
    for item in selector.xpath("//item"):
        link = (item.xpath("link/text()").get() or item.xpath("guid/text()").get() or "").strip()
        if link:
            yield link, (item.xpath("pubDate/text()").get() or "").strip()
