"""Language (kk, ru, en, other) and script (Cyrl, Latn, mixed) of an article, per paragraph and overall.

Cyrillic and English text goes to lingua-language-detector (models ship in the package; the detector is built
once, lazily, on first use). Latin-script Kazakh ("Qazaqstan men Reseı arasynda ...", the qz. edition) is
labelled English by such detectors, so a rule decides it first: its letters á ǵ ı ń ó ú ý or its common
words. Reads no settings.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("kk", "ru", "en", "other")
MIN_LETTERS = 3  # a paragraph with fewer letters ("2026", "***") has no language

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LETTER = re.compile(r"[^\W\d_]")
_WORDS = re.compile(r"[^\W\d_]+")

# Letters of the 2021 Kazakh Latin alphabet that English (and Russian transliteration) never uses.
KAZAKH_LATIN_LETTERS = frozenset("áǵıńóúýÁǴŃÓÚÝ")
# Frequent Kazakh words in Latin script that are not English words.
KAZAKH_LATIN_WORDS = frozenset({
    "jáne", "bul", "osy", "dep", "degen", "bolyp", "boldy", "bolady", "etti", "etedi",
    "úshin", "ushin", "qazaqstan", "qazaqstannyń", "respýblıkasy", "respublikasy", "jyl", "jyly",
    "kúni", "búgin", "elimizde", "eldiń", "halyq", "memlekettik", "prezıdent", "prezident", "qala", "qalasy",
    "oblysy", "aýdany", "mınıstrligi", "ministrligi", "arasynda", "týraly", "turaly", "sońǵy", "jańa",
    "ortalyǵy", "qyzmet", "kezde", "kezinde", "boıynsha", "boiynsha", "atty", "dedi", "aıtty", "aitty",
})
KAZAKH_LATIN_MIN_EVIDENCE = 2  # letters and words counted together: one "José" is not Kazakh


@dataclass(frozen=True)
class LanguageResult:
    """Article language, the share of its paragraphs per language, and its script."""

    language: str
    shares: dict[str, float]
    script: str | None
    paragraph_languages: tuple[str | None, ...]


_detector: Any = None
_detector_lock = threading.Lock()


def _lingua() -> Any:
    """The lingua detector for Kazakh, Russian and English, built once."""
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                _detector = LanguageDetectorBuilder.from_languages(
                    Language.KAZAKH, Language.RUSSIAN, Language.ENGLISH
                ).build()
    return _detector


def script_of(text: str) -> str | None:
    """'Cyrl' or 'Latn' for the script most letters are in; 'other' for neither; None without letters."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    letters = len(_LETTER.findall(text))
    if letters < MIN_LETTERS:
        return None
    if cyrillic + latin < letters / 2:
        return "other"
    return "Cyrl" if cyrillic >= latin else "Latn"


def is_latin_kazakh(text: str) -> bool:
    """True for Latin-script Kazakh: Kazakh Latin letters and common Kazakh words, at least two in all."""
    letters = sum(1 for char in text if char in KAZAKH_LATIN_LETTERS)
    words = sum(1 for w in _WORDS.findall(text) if w.casefold() in KAZAKH_LATIN_WORDS)
    return letters + words >= KAZAKH_LATIN_MIN_EVIDENCE


def paragraph_language(text: str) -> str | None:
    """kk, ru, en or other for one paragraph; None when it has too few letters to tell."""
    script = script_of(text)
    if script is None:
        return None
    if script == "other":
        return "other"
    if script == "Latn" and is_latin_kazakh(text):
        return "kk"
    detected = _lingua().detect_language_of(text)
    if detected is None:
        return "other"
    code = detected.iso_code_639_1.name.lower()
    return code if code in LANGUAGES else "other"


def detect(paragraphs: Sequence[str]) -> LanguageResult:
    """Language of every paragraph; the article's is the one holding most letters, shares count paragraphs."""
    labels = tuple(paragraph_language(p) for p in paragraphs)
    letters: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    scripts: set[str] = set()
    for text, label in zip(paragraphs, labels, strict=True):
        if label is None:
            continue
        counted[label] += 1
        letters[label] += len(_LETTER.findall(text))
        script = script_of(text)
        if script in ("Cyrl", "Latn"):
            scripts.add(script)
    total = sum(counted.values())
    if not total:
        return LanguageResult("other", {}, None, labels)
    language = max(sorted(letters), key=lambda code: letters[code])
    shares = {code: round(counted[code] / total, 3) for code in sorted(counted)}
    script_label = scripts.pop() if len(scripts) == 1 else ("mixed" if scripts else None)
    return LanguageResult(language, shares, script_label, labels)
