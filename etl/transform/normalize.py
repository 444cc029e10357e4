"""The normalized copy of an article used for hashing, dedup and search, and boilerplate-line removal.

The stored body stays as published (dashes, quotes and letters untouched); only whole boilerplate lines that
outlets append ("Фото: ...", "Сурет: ...", subscription prompts) are removed, and every removed line is
recorded. The normalized copy is NFC, has no invisible characters, maps Latin look-alike letters inside
Cyrillic words to their Cyrillic letters (Latin `a` in "Қaзaқстан"), and is casefolded. Reads no settings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from etl.transform.clean import clean_text

# Latin (and IPA) letters that look like a Cyrillic letter of the Kazakh alphabet. Latin `i` and `h` are the
# Kazakh `і` and `һ`; `ə`/`ɵ` are what old Kazakh keyboard layouts typed for `ә`/`ө`; `Y` is Kazakh `Ү`.
LOOKALIKES: dict[str, str] = {
    "a": "а", "c": "с", "e": "е", "i": "і", "o": "о", "p": "р", "x": "х", "y": "у", "h": "һ", "k": "к",
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "I": "І", "K": "К", "M": "М", "O": "О", "P": "Р",
    "T": "Т", "X": "Х", "Y": "Ү",
    "\u0259": "\u04d9", "\u018f": "\u04d8", "\u0275": "\u04e9", "\u019f": "\u04e8",
}
_LOOKALIKE_TABLE = str.maketrans(LOOKALIKES)
_WORD = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")

# Whole lines that are outlet boilerplate, not part of the story. Kept short and anchored: a line must
# start with the label, and only short lines qualify, so a paragraph that merely mentions a photo stays.
BOILERPLATE_MAX_CHARS = 200
BOILERPLATE_RES: tuple[re.Pattern[str], ...] = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"^(фото|фотосурет|сурет|видео|бейне|photo|video|фото\s*и\s*видео)\s*:",
    r"^(дереккөз|источник|source)\s*:",
    r"telegram|whatsapp|instagram|youtube|facebook|\bvk\b|tiktok",
    r"жазылыңыз|подписывайтесь|подпишитесь|subscribe",
))
_SOCIAL = BOILERPLATE_RES[2]
_PROMPT = BOILERPLATE_RES[3]


def is_boilerplate(line: str) -> bool:
    """True for a short line that is a photo/video credit, a source credit or a subscription prompt."""
    text = line.strip()
    if not text or len(text) > BOILERPLATE_MAX_CHARS:
        return False
    if BOILERPLATE_RES[0].search(text) or BOILERPLATE_RES[1].search(text):
        return True
    # A social-network name alone is news ("Telegram blocked ..."); a prompt needs both a network and a verb
    # such as "жазылыңыз" / "подписывайтесь", or a network plus "арна"/"канал"/"channel".
    if _SOCIAL.search(text):
        return bool(_PROMPT.search(text) or re.search(r"арна|канал|channel", text, re.IGNORECASE))
    return False


def strip_boilerplate(paragraphs: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split paragraphs into (kept, removed boilerplate lines), both in page order."""
    kept = tuple(p for p in paragraphs if not is_boilerplate(p))
    removed = tuple(p for p in paragraphs if is_boilerplate(p))
    return kept, removed


def _fix_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if not _CYRILLIC.search(word):
        return word
    return word.translate(_LOOKALIKE_TABLE)


def fix_lookalikes(text: str) -> str:
    """Map Latin look-alike letters to Cyrillic inside words that contain a Cyrillic letter."""
    return _WORD.sub(_fix_word, text)


def normalize_line(text: str) -> str:
    """One line normalized: cleaned (NFC, no invisibles, single spaces), look-alikes fixed, casefolded."""
    cleaned = clean_text(unicodedata.normalize("NFC", text))
    return unicodedata.normalize("NFC", fix_lookalikes(cleaned).casefold())


def normalize_body(paragraphs: Iterable[str]) -> str:
    """The normalized copy of a body: every paragraph normalized, empty ones dropped, joined by newlines."""
    lines = (normalize_line(p) for p in paragraphs)
    return "\n".join(line for line in lines if line)
