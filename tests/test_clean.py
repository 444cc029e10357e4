"""Tests for etl.transform.clean: spaces, invisible and control characters, NFC, and what must stay untouched."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from etl.transform.clean import INVISIBLE_CHARS, SPACE_CHARS, clean_paragraphs, clean_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Астана\u00a0қаласы", "Астана қаласы"),  # no-break space
        ("12\u202f000 теңге", "12 000 теңге"),  # narrow no-break space
        ("2\u2007025", "2 025"),  # figure space
        ("Қазақстан\u2009Республикасы", "Қазақстан Республикасы"),  # thin space
        ("Алматы\u3000облысы", "Алматы облысы"),  # ideographic space
        ("Ақ\u200bорда", "Ақорда"),  # zero-width space
        ("ә\u200cкім\u200d", "әкім"),  # zero-width non-joiner and joiner
        ("\ufeffҚазАқпарат", "ҚазАқпарат"),  # byte order mark
        ("Пре\u2060зидент", "Президент"),  # word joiner
        ("Тоқа\u00adев", "Тоқаев"),  # soft hyphen
        ("мәсе\x00ле\x07", "мәселе"),  # control characters
        ("  Елорда\t\tжаңалықтары \n\r ", "Елорда жаңалықтары"),  # whitespace runs, strip
        ("бір\u2028екі", "бір екі"),  # line separator
    ],
)
def test_clean_text_spaces_and_invisibles(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_composes_to_nfc() -> None:
    decomposed = "Қаи\u0306рат пен Пётр е\u0308"  # и + combining breve, е + combining diaeresis
    assert clean_text(decomposed) == "Қайрат пен Пётр ё"
    assert unicodedata.is_normalized("NFC", clean_text(decomposed))


def test_clean_text_keeps_punctuation_and_kazakh_letters_exactly() -> None:
    text = "АСТАНА. KAZINFORM – «Ұлттық құрылтай» — “жаңа” кезең: ӘҒҚҢӨҰҮҺІ әғқңөұүһі 2025-2026"
    assert clean_text(text) == text


def test_clean_text_invisible_between_spaces_collapses() -> None:
    assert clean_text("Ақорда \u200b \u00a0 мәлімдеді") == "Ақорда мәлімдеді"


def test_space_table_covers_every_unicode_space_separator() -> None:
    separators = {chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Zs"}
    assert separators - {" "} <= set(SPACE_CHARS)
    assert not set(SPACE_CHARS) & set(INVISIBLE_CHARS)


def test_clean_paragraphs_cleans_and_drops_empty() -> None:
    paragraphs = ["  Бірінші\u00a0абзац ", "\u200b", "", " \t ", "Екінші\u00adабзац"]
    assert clean_paragraphs(paragraphs) == ("Бірінші абзац", "Екіншіабзац")


def test_clean_paragraphs_accepts_any_iterable() -> None:
    assert clean_paragraphs(text for text in ("а", "ә")) == ("а", "ә")
