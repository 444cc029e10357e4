"""Tests for etl.core.dates: ISO strings, Kazinform visible times, month names and the Almaty zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from etl.core.dates import local_date, month_number, parse_iso, parse_visible_time, to_utc

ALMATY = ZoneInfo("Asia/Almaty")  # the zone of the Kazakh sources


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-11-13T14:35:00+05:00", utc(2025, 11, 13, 9, 35)),
        ("2025-11-13T09:35:00Z", utc(2025, 11, 13, 9, 35)),
        ("2025-11-13T14:35:00+0500", utc(2025, 11, 13, 9, 35)),
        ("2025-11-13 14:35:00.123+05:00", utc(2025, 11, 13, 9, 35, 0, 123000)),
        ("2025-11-13T14:35:00", utc(2025, 11, 13, 9, 35)),  # naive: Almaty, UTC+5 since 2024-03-01
        ("2023-11-13T14:35:00", utc(2023, 11, 13, 8, 35)),  # naive: Almaty, UTC+6 before
        ("2023-11-13T14:35:00+05:00", utc(2023, 11, 13, 9, 35)),  # explicit offset wins
    ],
)
def test_parse_iso(raw: str, expected: datetime) -> None:
    parsed = parse_iso(raw, ALMATY)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("raw", ["", "   ", "13 қараша 2025", "2025-13-01T00:00:00"])
def test_parse_iso_rejects(raw: str) -> None:
    assert parse_iso(raw, ALMATY) is None


@pytest.mark.parametrize(
    ("word", "number"),
    [
        ("қаңтар", 1), ("Ақпан", 2), ("НАУРЫЗ", 3), ("сәуір", 4), ("Мамыр", 5), ("маусым", 6),
        ("Шілде", 7), ("тамыз", 8), ("Қыркүйек", 9), ("қазан", 10), ("Қараша", 11), ("желтоқсан", 12),
        ("қарашадағы", 11), ("желтоқсанда", 12), ("сәуірде", 4), ("қыркүйектің", 9),
        ("Qańtar", 1), ("Sáýir", 4), ("Qyrkúıek", 9), ("Jeltoqsan", 12),
        ("Январь", 1), ("января", 1), ("Март", 3), ("марта", 3), ("май", 5), ("Мая", 5), ("Августа", 8),
        ("июнь", 6), ("июля", 7), ("декабря", 12),
        ("January", 1), ("may", 5), ("Sep", 9), ("December", 12),
    ],
)
def test_month_number(word: str, number: int) -> None:
    assert month_number(word) == number


@pytest.mark.parametrize("word", ["", "GMT", "ай", "мар", "2025"])
def test_month_number_unknown(word: str) -> None:
    assert month_number(word) is None


def test_visible_time_with_printed_offset() -> None:
    assert parse_visible_time("14:35, 13 Қараша 2025 | GMT +5", ALMATY) == utc(2025, 11, 13, 9, 35)


def test_visible_time_printed_offset_wins_over_zone() -> None:
    # In 2023 Almaty was UTC+6, but the page prints +5: the printed offset is used.
    assert parse_visible_time("14:35, 13 қараша 2023 | GMT +5", ALMATY) == utc(2023, 11, 13, 9, 35)
    assert parse_visible_time("09:00, 1 тамыз 2025 | GMT -3", ALMATY) == utc(2025, 8, 1, 12, 0)


def test_visible_time_without_offset_uses_almaty_before_and_after_2024_change() -> None:
    assert parse_visible_time("12:00, 29 ақпан 2024", ALMATY) == utc(2024, 2, 29, 6, 0)  # UTC+6
    assert parse_visible_time("12:00, 1 наурыз 2024", ALMATY) == utc(2024, 3, 1, 7, 0)  # UTC+5
    assert parse_visible_time("08:05, 7 Января 2026", ALMATY) == utc(2026, 1, 7, 3, 5)


@pytest.mark.parametrize(
    "raw",
    ["", "13 Қараша 2025", "14:35, 13 Foo 2025 | GMT +5", "14:35, 31 Ақпан 2025", "25:00, 1 мамыр 2025"],
)
def test_visible_time_rejects(raw: str) -> None:
    assert parse_visible_time(raw, ALMATY) is None


def test_to_utc_naive_and_aware() -> None:
    assert to_utc(datetime(2023, 6, 1, 12, 0), ALMATY) == utc(2023, 6, 1, 6, 0)
    assert to_utc(datetime(2025, 6, 1, 12, 0), ALMATY) == utc(2025, 6, 1, 7, 0)
    assert to_utc(datetime(2025, 6, 1, 12, 0), UTC) == utc(2025, 6, 1, 12, 0)
    aware = datetime(2025, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    assert to_utc(aware, ALMATY) == utc(2025, 6, 1, 9, 0)


def test_zoneinfo_knows_the_2024_offset_change() -> None:
    assert datetime(2024, 2, 28, 12, tzinfo=ALMATY).utcoffset() == timedelta(hours=6)
    assert datetime(2024, 3, 2, 12, tzinfo=ALMATY).utcoffset() == timedelta(hours=5)


def test_local_date_crosses_midnight() -> None:
    assert local_date(utc(2025, 11, 12, 20, 30), ALMATY) == date(2025, 11, 13)
    assert local_date(utc(2023, 11, 12, 17, 30), ALMATY) == date(2023, 11, 12)  # 23:30 at UTC+6
    assert local_date(utc(2023, 11, 12, 18, 30), ALMATY) == date(2023, 11, 13)
