"""Language (kk, ru, en, other) and script per paragraph and article; the Latin-script Kazakh rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.transform.langid import detect, is_latin_kazakh, paragraph_language, script_of

GOLDEN = Path(__file__).resolve().parent / "golden" / "kazinform"
TRUTHS = sorted(GOLDEN.glob("*.truth.json"))

KAZAKH_LATIN = (
    "Qazaqstan men Reseı arasyndaǵy saýda kólemi byıyl 10 paıyzǵa ósti.",
    "Astanada jańa mektep ashyldy. Onda 1200 oqýshy bilim alady.",
    "Prezıdent Úkimet otyrysynda elimizdegi ınflıasııa máselesin kóterdi.",
    "Búgin Almatyda aýa raıy jyly bolady, dep habarlady sınoptıkter.",
)
RUSSIAN = (
    "Министр энергетики заявил, что цены на бензин в новом году не вырастут.",
    "В Астане открыли новую школу на 1200 мест. Учебный год там начнётся в сентябре.",
    "Синоптики прогнозируют сильный ветер и метель на севере страны.",
)
ENGLISH = (
    "The central bank kept its base rate unchanged at the January meeting.",
    "A new school for 1,200 pupils opened in Astana on Monday.",
    "José Mourinho said the team would travel to Almaty next week.",
)
KAZAKH_CYRILLIC = (
    "Қазақстан мен Ресей арасындағы сауда көлемі биыл 10 пайызға өсті.",
    "Синоптиктер елдің солтүстігінде боран болатынын ескертті.",
)


@pytest.mark.parametrize("path", TRUTHS, ids=lambda p: p.name.split(".")[0])
def test_every_kazinform_fixture_article_is_kazakh_in_cyrillic(path: Path) -> None:
    truth = json.loads(path.read_text(encoding="utf-8"))
    result = detect(truth["paragraphs"])
    assert (result.language, result.script) == ("kk", "Cyrl")
    assert result.shares == {"kk": 1.0}


@pytest.mark.parametrize("text", KAZAKH_LATIN)
def test_latin_script_kazakh_is_kazakh_not_english(text: str) -> None:
    assert script_of(text) == "Latn"
    assert is_latin_kazakh(text)
    assert paragraph_language(text) == "kk"


@pytest.mark.parametrize(("texts", "code"), [(RUSSIAN, "ru"), (ENGLISH, "en"), (KAZAKH_CYRILLIC, "kk")])
def test_russian_english_and_cyrillic_kazakh(texts: tuple[str, ...], code: str) -> None:
    for text in texts:
        assert paragraph_language(text) == code, text
    assert not any(is_latin_kazakh(text) for text in ENGLISH)


def test_latin_kazakh_article_and_mixed_article() -> None:
    latin = detect(KAZAKH_LATIN)
    assert (latin.language, latin.script, latin.shares) == ("kk", "Latn", {"kk": 1.0})
    mixed = detect([*KAZAKH_CYRILLIC, RUSSIAN[0], "2026"])
    assert mixed.language == "kk"
    assert mixed.shares == {"kk": 0.667, "ru": 0.333}
    assert mixed.paragraph_languages[-1] is None  # too few letters to tell
    assert mixed.script == "Cyrl"
    both = detect([KAZAKH_CYRILLIC[0], KAZAKH_LATIN[0]])
    assert both.script == "mixed" and both.language == "kk"
    english = detect([*ENGLISH, RUSSIAN[0]])
    assert (english.language, english.script) == ("en", "mixed")


def test_other_scripts_and_empty_bodies() -> None:
    assert paragraph_language("中华人民共和国主席今天访问了阿斯塔纳。") == "other"
    assert detect(["中华人民共和国主席今天访问了阿斯塔纳。"]).language == "other"
    assert detect(["2026", "***"]) .language == "other"
    assert detect([]).script is None


ALL_TRUTHS = sorted((GOLDEN.parent).glob("*/*.truth.json"))


@pytest.mark.parametrize("path", ALL_TRUTHS, ids=lambda p: f"{p.parent.name}/{p.name.split('.')[0]}")
def test_every_golden_article_of_every_source_gets_its_edition_language(path: Path) -> None:
    truth = json.loads(path.read_text(encoding="utf-8"))
    if not truth.get("language"):
        pytest.skip("no language in this truth file")
    result = detect(truth["paragraphs"])
    assert result.language == truth["language"]
    if path.parent.name == "kazinform_qz":  # the Latin-script Kazakh edition
        assert result.script == "Latn"
