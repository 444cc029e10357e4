"""Tests for etl.transform.corpus: the byte-exact corpus layout and its inverse."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from etl.core.model import Article
from etl.transform.corpus import CorpusDoc, parse_corpus, to_corpus

ALMATY = ZoneInfo("Asia/Almaty")

ARTICLE = Article(
    source="kazinform",
    article_id="a1b2c3",
    url="https://kaz.inform.kz/news/astanada-zhana-sayabak-ashyldy-a1b2c3/",
    canonical_url="https://kaz.inform.kz/news/astanada-zhana-sayabak-ashyldy-a1b2c3/",
    title="Астанада жаңа саябақ ашылды",
    paragraphs=(
        "АСТАНА. KAZINFORM – Елордада жаңа саябақ ашылды.",
        "«Біз тұрғындардың тілегін ескердік», – деді әкімдік өкілі.",
    ),
    published_at=datetime(2025, 11, 13, 9, 35, tzinfo=UTC),
    published_raw="2025-11-13T14:35:00+05:00",
)


def test_to_corpus_exact_bytes() -> None:
    expected = (
        " date 2025-11-13 Астанада жаңа саябақ ашылды\n"
        "АСТАНА. KAZINFORM – Елордада жаңа саябақ ашылды.\n"
        "«Біз тұрғындардың тілегін ескердік», – деді әкімдік өкілі."
    )
    assert to_corpus(ARTICLE, ALMATY) == expected
    assert not to_corpus(ARTICLE, ALMATY).endswith("\n")


def test_to_corpus_dates_in_local_time() -> None:
    late = replace(ARTICLE, published_at=datetime(2025, 11, 12, 20, 30, tzinfo=UTC))  # 01:30 next day in Almaty
    assert to_corpus(late, ALMATY).startswith(" date 2025-11-13 ")
    assert to_corpus(late, ZoneInfo("UTC")).startswith(" date 2025-11-12 ")
    old = replace(ARTICLE, published_at=datetime(2023, 11, 12, 17, 30, tzinfo=UTC))  # 23:30 at UTC+6
    assert to_corpus(old, ALMATY).startswith(" date 2023-11-12 ")


def test_to_corpus_without_date_raises() -> None:
    with pytest.raises(ValueError, match="published_at"):
        to_corpus(replace(ARTICLE, published_at=None), ALMATY)


@pytest.mark.parametrize(
    "broken",
    [
        replace(ARTICLE, title="Бірінші\nекінші"),
        replace(ARTICLE, paragraphs=("бір", "")),
        replace(ARTICLE, paragraphs=("бір\r\nекі",)),
    ],
)
def test_to_corpus_rejects_text_that_breaks_the_layout(broken: Article) -> None:
    with pytest.raises(ValueError):
        to_corpus(broken, ALMATY)


def test_to_corpus_without_paragraphs_is_the_header_only() -> None:
    assert to_corpus(replace(ARTICLE, paragraphs=()), ALMATY) == " date 2025-11-13 Астанада жаңа саябақ ашылды"


def test_round_trip() -> None:
    doc = parse_corpus(to_corpus(ARTICLE, ALMATY))
    assert doc == CorpusDoc(date=date(2025, 11, 13), title=ARTICLE.title, paragraphs=ARTICLE.paragraphs)


@pytest.mark.parametrize(
    "text",
    [
        "date 2025-11-13 Тақырып\nабзац",  # no leading space
        " date 13.11.2025 Тақырып",
        " date 2025-11-13 Тақырып\nабзац\n",  # trailing newline
        " date 2025-11-13 Тақырып\n\nабзац",  # empty line
    ],
)
def test_parse_corpus_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_corpus(text)
