"""Date helpers shared by the parsers: ISO strings, visible page times and month names. Reads no settings.

Every parser returns an aware UTC datetime, or None for text that is not a date or a date that cannot be
stored (a year-1 or year-9999 time whose offset pushes it out of range, an offset of 24 hours or more). An
offset printed with the date wins; a date without one is read in the zone the caller passes (the source
spec's `timezone`) through zoneinfo, which knows that Almaty moved from UTC+6 to UTC+5 on 2024-03-01. `plausible` is
the one date window of the project: not before EARLIEST, not after the fetch time (default: now) plus SKEW.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

logger = logging.getLogger(__name__)

#: The plausible window of a publication date: none of the sources published before 1990, and a page cannot
#: be published after it was fetched (SKEW allows for clocks and time zones).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
SKEW = timedelta(days=1)
MAX_OFFSET = timedelta(hours=14)  # the widest real UTC offset

# Kazakh month stems: the nominative, which every inflected form starts with ("қарашадағы", "мамырда").
_KAZAKH_STEMS = (
    "қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым",
    "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан",
)
_KAZAKH_LATIN_STEMS = (
    "qańtar", "aqpan", "naýryz", "sáýir", "mamyr", "maýsym",
    "shilde", "tamyz", "qyrkúıek", "qazan", "qarasha", "jeltoqsan",
)
_RUSSIAN_NOMINATIVE = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)
_RUSSIAN_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)
_ENGLISH = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)

_EXACT_MONTHS: dict[str, int] = {}
for _names in (_RUSSIAN_NOMINATIVE, _RUSSIAN_GENITIVE, _ENGLISH):
    _EXACT_MONTHS.update({name: number for number, name in enumerate(_names, start=1)})
_EXACT_MONTHS.update({name[:3]: number for number, name in enumerate(_ENGLISH, start=1)})
_EXACT_MONTHS["sept"] = 9
_STEM_MONTHS: tuple[tuple[str, int], ...] = tuple(
    (stem, number)
    for stems in (_KAZAKH_STEMS, _KAZAKH_LATIN_STEMS)
    for number, stem in enumerate(stems, start=1)
)

# Kazinform's visible time: "14:35, 13 Қараша 2025 | GMT +5" (the GMT part is optional).
VISIBLE_TIME_RE = re.compile(
    r"^(\d{1,2}):(\d{2}),\s*(\d{1,2})\s+(\S+)\s+(\d{4})(\s*\|\s*GMT\s*([+-]\d{1,2})(?::?(\d{2}))?)?"
)


def to_utc(moment: datetime, tz: tzinfo) -> datetime:
    """Return `moment` in UTC; a naive `moment` is read as wall-clock time in `tz`.

    OverflowError when the UTC time is outside datetime's range (year 1 or 9999 with an offset).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def safe_utc(moment: datetime, tz: tzinfo) -> datetime | None:
    """`to_utc`, or None when the moment cannot be represented in UTC or its offset is not a real one."""
    try:
        offset = moment.utcoffset()
        if offset is not None and abs(offset) > MAX_OFFSET:
            raise ValueError(f"offset {offset} is not a real UTC offset")
        return to_utc(moment, tz)
    except (OverflowError, ValueError) as exc:
        logger.debug("date %r not representable in UTC: %s", moment, exc)
        return None


def plausible(moment: datetime, fetched_at: datetime | None = None) -> bool:
    """True when the aware `moment` lies in [EARLIEST, fetch time (default: now) + SKEW]."""
    latest = (fetched_at or datetime.now(UTC)) + SKEW
    return EARLIEST <= moment <= latest


def local_date(moment: datetime, tz: tzinfo) -> date:
    """Return the calendar date of the aware `moment` as seen in `tz`."""
    return moment.astimezone(tz).date()


def parse_iso(text: str, tz: tzinfo) -> datetime | None:
    """Parse an ISO 8601 date-time ('Z', '+05:00' or '+0500' offsets; naive means `tz`) to UTC, or None."""
    value = text.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        logger.debug("not an ISO date-time: %r", text)
        return None
    return safe_utc(moment, tz)


def month_number(word: str) -> int | None:
    """Return 1-12 for a Kazakh (any case, inflected), Russian (nominative/genitive) or English month name."""
    key = unicodedata.normalize("NFC", word).strip().strip(".,").lower()
    if not key:
        return None
    if key in _EXACT_MONTHS:
        return _EXACT_MONTHS[key]
    for stem, number in _STEM_MONTHS:
        if key.startswith(stem):
            return number
    return None


def parse_visible_time(text: str, tz: tzinfo) -> datetime | None:
    """Parse 'HH:MM, DD <Month> YYYY[ | GMT +5]' to UTC (the printed offset wins over `tz`), or None."""
    match = VISIBLE_TIME_RE.match(text.strip())
    if match is None:
        return None
    hour, minute, day, month_word, year = match.group(1, 2, 3, 4, 5)
    month = month_number(month_word)
    if month is None:
        logger.debug("unknown month %r in %r", month_word, text)
        return None
    zone = tz
    if match.group(7) is not None:
        hours = int(match.group(7))
        minutes = int(match.group(8) or 0)
        offset = timedelta(hours=hours, minutes=-minutes if hours < 0 else minutes)
        if abs(offset) > MAX_OFFSET:
            logger.debug("impossible offset in %r", text)
            return None
        zone = timezone(offset)
    try:
        moment = datetime(int(year), month, int(day), int(hour), int(minute))
    except ValueError:
        logger.debug("impossible date in %r", text)
        return None
    return safe_utc(moment, zone)


# Listing and page times of Tengrinews and others: "Сегодня, 14:20", "Вчера, 09:05" (also Kazakh "Бүгін",
# "Кеше"), relative to the day the page was fetched, and "31 желтоқсан 2025, 14:20".
RELATIVE_DAYS = {"сегодня": 0, "бүгін": 0, "вчера": 1, "кеше": 1}
DAY_TIME_RE = re.compile(r"^(\d{1,2})\s+(\S+?),?\s+(\d{4}),?\s+(\d{1,2}):(\d{2})$")
RELATIVE_TIME_RE = re.compile(r"^(\w+),?\s+(\d{1,2}):(\d{2})$")


def parse_day_time(text: str, reference: date | None, tz: tzinfo) -> datetime | None:
    """Parse 'DD <month> YYYY, HH:MM' or 'Сегодня/Вчера/Бүгін/Кеше, HH:MM' (on local `reference`) to UTC."""
    value = unicodedata.normalize("NFC", " ".join(text.split()))
    try:
        if match := DAY_TIME_RE.match(value):
            month = month_number(match.group(2))
            if month is None:
                return None
            moment = datetime(int(match.group(3)), month, int(match.group(1)), int(match.group(4)),
                              int(match.group(5)))
            return safe_utc(moment, tz)
        match = RELATIVE_TIME_RE.match(value)
        back = RELATIVE_DAYS.get(match.group(1).lower()) if match else None
        if match is None or back is None or reference is None:
            return None
        day = reference - timedelta(days=back)
        return safe_utc(datetime(day.year, day.month, day.day, int(match.group(2)), int(match.group(3))), tz)
    except (ValueError, OverflowError):
        logger.debug("impossible date in %r", text)
        return None
