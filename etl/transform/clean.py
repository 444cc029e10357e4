"""Text cleaning for extracted articles: Unicode NFC, plain spaces, no invisible or control characters.

Only spacing and invisible characters change: letters (Kazakh included), digits, dashes and quotes
(«», “”, –, —) are kept exactly as published. Reads no settings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Every Unicode space separator (category Zs) except the ASCII space itself: NBSP, Ogham space mark,
# en/em quads and spaces, figure, punctuation, thin and hair spaces, narrow NBSP, medium mathematical
# space and ideographic space. Line and paragraph separators (Zl, Zp) count as spaces too.
SPACE_CHARS = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000\u2028\u2029"
)

# Invisible characters that are deleted: zero-width space, non-joiner and joiner, word joiner, BOM
# (zero-width no-break space), soft hyphen, Mongolian vowel separator and the bidirectional marks.
INVISIBLE_CHARS = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _build_table() -> dict[int, str | None]:
    """The str.translate table: spaces and whitespace controls to ' ', other controls and invisibles to None."""
    table: dict[int, str | None] = {ord(char): " " for char in SPACE_CHARS}
    table.update({ord(char): None for char in INVISIBLE_CHARS})
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)):
        table[code] = " " if chr(code).isspace() else None
    return table


_TRANSLATE = _build_table()
_WHITESPACE_RUN = re.compile(r"\s+")
#: A character the table changes (besides two spaces in a row or a space at either end, what `clean_text` changes).
_TRANSLATED = re.compile("[" + re.escape("".join(map(chr, sorted(_TRANSLATE)))) + "]")


def clean_text(text: str) -> str:
    """Return `text` in NFC with every space as ' ', invisible/control characters removed, runs collapsed, stripped."""
    if (not _TRANSLATED.search(text) and "  " not in text and text[:1] != " " and text[-1:] != " "
            and unicodedata.is_normalized("NFC", text)):
        return text  # most text is already clean: a few scans instead of four passes that copy it
    text = unicodedata.normalize("NFC", text.translate(_TRANSLATE))
    return _WHITESPACE_RUN.sub(" ", text).strip()


def clean_paragraphs(paragraphs: Iterable[str]) -> tuple[str, ...]:
    """Clean every paragraph and drop the ones left empty."""
    cleaned = (clean_text(paragraph) for paragraph in paragraphs)
    return tuple(paragraph for paragraph in cleaned if paragraph)
