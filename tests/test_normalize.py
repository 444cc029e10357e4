"""Normalized copy (NFC, invisibles, Latin look-alikes, casefold) and boilerplate-line removal with a record."""

from __future__ import annotations

from etl.core.model import Article
from etl.transform.normalize import (
    fix_lookalikes,
    is_boilerplate,
    normalize_body,
    normalize_line,
    strip_boilerplate,
)
from etl.transform.quality import assess


def test_latin_lookalikes_inside_cyrillic_words_become_cyrillic() -> None:
    mixed = "Қaзaқстaн Рeспубликасы"  # Latin a and e inside Kazakh and Russian-loan words
    assert fix_lookalikes(mixed) == "Қазақстан Республикасы"
    assert normalize_line(mixed) == normalize_line("Қазақстан Республикасы")
    # Kazakh letters typed on a Latin layout: i for і, h for һ, ə for ә.
    assert fix_lookalikes("бiлiм, жиhаз, əкiмдiк") == "білім, жиһаз, әкімдік"
    assert fix_lookalikes("Yкiмет") == "Үкімет"


def test_latin_words_are_left_alone() -> None:
    assert fix_lookalikes("KAZINFORM eGov COVID-19 Apple") == "KAZINFORM eGov COVID-19 Apple"
    assert normalize_line("ОРАЛ. KAZINFORM – eGov") == "орал. kazinform – egov"


def test_normalized_line_is_nfc_without_invisibles_and_casefolded() -> None:
    assert normalize_line("Жаи\u0306ық") == "жайық"  # й as и + combining breve
    assert normalize_line("Ақ\u200bпарат\u00a0агенттігі\u00ad") == "ақпарат агенттігі"
    assert normalize_line("Ақпарат") == normalize_line("Ақ\u200bпарат")


def test_normalize_body_keeps_dashes_and_quotes_and_paragraphs() -> None:
    body = normalize_body(["«Барыс» жеңді – 4:2.", "", "  Екінші   абзац  "])
    assert body == "«барыс» жеңді – 4:2.\nекінші абзац"


def test_boilerplate_lines() -> None:
    for line in ("Фото: Kazinform", "Сурет: Kazinform архиві", "ФОТО: Ерлан Сейітқали", "Видео: YouTube",
                 "Дереккөз: Kazinform", "Жаңалықтарды Telegram арнамыздан оқыңыз",
                 "Подписывайтесь на наш Telegram-канал", "Subscribe to our Telegram channel",
                 "Instagram парақшамызға жазылыңыз"):
        assert is_boilerplate(line), line
    for line in ("Суреттерде елдің солтүстік өңірлеріндегі қар жамылғысы көрсетілген.",
                 "Telegram мессенджері елде бұғатталған жоқ, деді министр.",
                 "Фото: " + "ұзын мәтін " * 30,
                 "Фотокөрме 31 қаңтарға дейін жұмыс істейді."):
        assert not is_boilerplate(line), line


def test_strip_boilerplate_records_what_it_removed() -> None:
    kept, removed = strip_boilerplate(["Бірінші.", "Фото: Kazinform", "Екінші.", "Telegram арнамызға жазылыңыз"])
    assert kept == ("Бірінші.", "Екінші.")
    assert removed == ("Фото: Kazinform", "Telegram арнамызға жазылыңыз")


def _article(*paragraphs: str) -> Article:
    return Article(source="kazinform", article_id="x", url="https://kaz.inform.kz/news/x/",
                   canonical_url="https://kaz.inform.kz/news/x/", title="Т", paragraphs=paragraphs)


def test_assess_removes_boilerplate_from_body_and_keeps_text_as_published() -> None:
    article, fields = assess(_article("АСТАНА. KAZINFORM – «Қaзгидромет» хабарлады — аяз.", "Сурет: Kazinform"))
    assert article.body == "АСТАНА. KAZINFORM – «Қaзгидромет» хабарлады — аяз."  # look-alike kept as published
    assert fields["boilerplate_removed"] == ["Сурет: Kazinform"]
    assert fields["normalized_body"] == "астана. kazinform – «қазгидромет» хабарлады — аяз."
    assert (fields["detected_language"], fields["script"], fields["language_shares"]) == ("kk", "Cyrl", {"kk": 1.0})


def test_assess_keeps_a_body_that_is_only_boilerplate() -> None:
    article, fields = assess(_article("Фото: Kazinform"))
    assert article.body == "Фото: Kazinform"
    assert fields["boilerplate_removed"] == []
