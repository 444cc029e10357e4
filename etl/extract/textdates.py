"""The generic date step of the fallback chain: a publication date found anywhere on the page. Reads no settings.

Used when JSON-LD, meta tags and the site's selectors have no date (a redesign renamed the time element, or
the site never had one). Tried in order: the first `<time datetime>` (or `itemprop=datePublished`) of the
page, then a date printed as visible text in a short element, searched first after the `h1`, then in the
whole page. Recognised text formats (month names in Kazakh Cyrillic or Latin, Russian or English, any case and
inflection, see `etl.core.dates.month_number`):

- `00:30, 13 Қараша 2025 | GMT +5` (Kazinform's) and `13 қараша 2025, 00:30`, `13 ноября 2025 в 00:30`;
- `2025 жылғы 13 қараша, 00:30` (Kazakh year-first), `November 13, 2025 12:30 PM` (English);
- `13.11.2025 00:30` (numeric, day first) and a bare day in any of these forms (read as local midnight).

A printed offset (`GMT +5`, `UTC+05:00`, `+05:00`) wins; otherwise the source's time zone is used.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from lxml.html import HtmlElement

from etl.core.dates import month_number, parse_iso, to_utc
from etl.extract.selectors import css

logger = logging.getLogger(__name__)

_TIME_ATTRIBUTES = css('time[datetime], [itemprop="datePublished"][datetime], meta[itemprop="datePublished"][content]')
_SKIPPED = frozenset({"script", "style", "noscript", "template", "nav", "footer", "aside", "select", "option"})
#: Elements with more text than this are paragraphs, not datelines.
MAX_TEXT = 120

_CLOCK = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:\s*(?P<ampm>[AaPp]\.?[Mm]\.?))?"
_WORD = r"(?P<month>[^\W\d_]{3,}\.?)"
_OFFSET = (r"(?:\s*\|?\s*\(?(?:(?:GMT|UTC)\s*(?P<sign>[+-])(?P<oh>\d{1,2})(?::(?P<om>\d{2}))?(?!\d)"
           r"|(?P<sign2>[+-])(?P<oh2>\d{2}):?(?P<om2>\d{2})(?!\d))\)?)?")
_SEP = r"\s*(?:,|\||в|at|-|–|—)?\s*"
PATTERNS = tuple(re.compile(pattern, re.IGNORECASE) for pattern in (
    # 00:30, 13 Қараша 2025 | GMT +5
    rf"{_CLOCK},?\s+(?P<day>\d{{1,2}})\s+{_WORD}\s+(?P<year>\d{{4}}){_OFFSET}",
    # 13 қараша 2025, 00:30 / 13 ноября 2025 г. в 00:30 / 13 November 2025
    rf"(?P<day>\d{{1,2}})\s+{_WORD}\s+(?P<year>\d{{4}})(?:\s*(?:г\.|ж\.|жыл\w*))?(?:{_SEP}{_CLOCK})?{_OFFSET}",
    # 2025 жылғы 13 қараша, 00:30 / 2025 j. 13 qarasha
    rf"(?P<year>\d{{4}})\s+(?:жыл\w*|j\.|jyl\w*)\s+(?P<day>\d{{1,2}})\s+{_WORD}(?:{_SEP}{_CLOCK})?{_OFFSET}",
    # November 13, 2025 12:30 PM
    rf"{_WORD}\s+(?P<day>\d{{1,2}}),?\s+(?P<year>\d{{4}})(?:{_SEP}{_CLOCK})?{_OFFSET}",
    # 13.11.2025 00:30
    rf"(?<![\d.])(?P<day>\d{{1,2}})\.(?P<mon>\d{{2}})\.(?P<year>\d{{4}})(?:{_SEP}{_CLOCK})?{_OFFSET}",
))


@dataclass(frozen=True)
class Found:
    """A date found on the page: the aware UTC moment and the exact text it was read from."""

    moment: datetime
    raw: str
    #: False for a bare day (read as local midnight): a time known from elsewhere on the same day is better.
    has_time: bool = True


def _zone(match: re.Match[str], tz: tzinfo) -> tzinfo:
    """The printed offset of `match`, else `tz`."""
    sign = match.group("sign") or match.group("sign2")
    if not sign:
        return tz
    minutes = int(match.group("oh") or match.group("oh2")) * 60 + int(match.group("om") or match.group("om2") or 0)
    if minutes >= 15 * 60:
        return tz
    return timezone(timedelta(minutes=-minutes if sign == "-" else minutes))


def _moment(match: re.Match[str], tz: tzinfo) -> datetime | None:
    """The moment `match` describes, or None when its month or day is not one."""
    groups = match.groupdict()
    month = int(groups["mon"]) if groups.get("mon") else month_number(groups.get("month") or "")
    if month is None:
        return None
    hour, minute = int(groups["hour"] or 0), int(groups["minute"] or 0)
    ampm = (groups.get("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        moment = datetime(int(groups["year"]), month, int(groups["day"]), hour, minute)
    except ValueError:
        return None
    return to_utc(moment, _zone(match, tz))


def parse_text_date(text: str, tz: tzinfo) -> Found | None:
    """The first date in `text` in a recognised format, or None; a match with a time wins over a bare day."""
    value = unicodedata.normalize("NFC", " ".join(text.split()))
    bare: Found | None = None
    for pattern in PATTERNS:
        for match in pattern.finditer(value):
            moment = _moment(match, tz)
            if moment is None:
                continue
            found = Found(moment, match.group(0).strip(), match.group("hour") is not None)
            if found.has_time:
                return found
            bare = bare or found
    return bare


def _own_texts(root: HtmlElement) -> Iterator[str]:
    """The text of every short element under `root` (outside navigation and scripts), in document order."""
    for element in root.iter():
        if not isinstance(element.tag, str) or element.tag in _SKIPPED:
            continue
        if any(isinstance(a.tag, str) and a.tag in _SKIPPED for a in element.iterancestors()):
            continue
        text = " ".join(element.itertext())  # "GMT +5</div><div>2 847" must not read as GMT +52
        if text.strip() and len(text) <= MAX_TEXT:
            yield text


def _after(tree: HtmlElement, heading: HtmlElement) -> Iterator[HtmlElement]:
    """The elements that follow `heading` in document order (its siblings and their parents' siblings)."""
    node: HtmlElement | None = heading
    while node is not None:
        yield from node.itersiblings()
        node = node.getparent()


def find_page_date(tree: HtmlElement, tz: tzinfo) -> Found | None:
    """The page's first `<time datetime>`, else the first visible date after the `h1`, else anywhere."""
    for element in _TIME_ATTRIBUTES(tree):
        raw = element.get("datetime") or element.get("content") or ""
        moment = parse_iso(raw, tz)
        if moment is not None:
            return Found(moment, raw)
    headings = tree.xpath("//h1")
    roots = [*(_after(tree, headings[0]) if headings else ()), tree]
    for root in roots:
        for text in _own_texts(root):
            found = parse_text_date(text, tz)
            if found is not None:
                logger.debug("visible date %r", found.raw)
                return found
    return None
