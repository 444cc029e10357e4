"""Reading listing pages: a card's printed time, the active paginator item, an archive item's day.

Reads no settings.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from scrapy.http import TextResponse

from etl.core.dates import month_number, parse_iso

_CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_CLOCK_DATE_RE = re.compile(r"^(\d{1,2}):(\d{2}),?\s+(\d{1,2})\s+(\S+)\s+(\d{4})")
_DOTTED_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}),?\s+(\d{1,2}):(\d{2})")
_DAY_RE = re.compile(r"(\d{1,2})\s+(\S+)\s+(\d{4})")


def parse_listing_time(text: str, day: date, tz: ZoneInfo) -> datetime | None:
    """Read a listing card's time: ISO, `HH:MM` (on `day`), `HH:MM, DD <month> YYYY` or `DD.MM.YYYY HH:MM`."""
    text = " ".join(text.split())
    moment = parse_iso(text, tz)
    if moment or not text:
        return moment
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


def parse_item_date(text: str) -> date | None:
    """Read an archive item date `1 қаңтар 2026` (any month language the shared helper knows), or None."""
    match = _DAY_RE.search(" ".join(text.split()))
    month = month_number(match[2]) if match else None
    if match is None or month is None:
        return None
    try:
        return date(int(match[3]), month, int(match[1]))
    except ValueError:
        return None


def active_page(response: TextResponse, selector: str = "li.page-item.active") -> int | None:
    """Return the number in the active paginator item, or None when the page has no paginator."""
    items = response.css(selector)
    if not items:
        return None
    digits = re.sub(r"\D", "", " ".join(items[0].css("::text").getall()))
    return int(digits) if digits else 0
