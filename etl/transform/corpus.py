"""The byte-exact corpus text format of one article. Reads no settings.

Line 1 is " date YYYY-MM-DD <title>" (one leading space; the publication date in the source's local time);
then one body paragraph per line in page order, dateline included. No empty lines, "\\n" line ends and no
newline after the last paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from etl.core.model import Article

HEADER_RE = re.compile(r"^ date (\d{4}-\d{2}-\d{2}) (.*)$")
_LINE_BREAK_RE = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class CorpusDoc:
    """One parsed corpus document."""

    date: date
    title: str
    paragraphs: tuple[str, ...]


def _line(text: str, what: str) -> str:
    """`text` unchanged, or ValueError when it would break the one-item-per-line layout."""
    if _LINE_BREAK_RE.search(text):
        raise ValueError(f"{what} contains a line break: {text!r}")
    return text


def to_corpus(article: Article, tz: ZoneInfo) -> str:
    """Render `article` in the corpus format, dated in `tz`; ValueError without published_at or on bad text."""
    if article.published_at is None:
        raise ValueError(f"{article.url}: no published_at, cannot date the corpus document")
    day = article.published_at.astimezone(tz).date().isoformat()
    lines = [f" date {day} {_line(article.title, 'title')}"]
    for number, paragraph in enumerate(article.paragraphs, start=1):
        if not paragraph.strip():
            raise ValueError(f"{article.url}: paragraph {number} is empty")
        lines.append(_line(paragraph, f"paragraph {number}"))
    return "\n".join(lines)


def parse_corpus(text: str) -> CorpusDoc:
    """Parse one corpus document (the inverse of `to_corpus`); ValueError on a bad header or an empty line."""
    header, *paragraphs = text.split("\n")
    match = HEADER_RE.match(header)
    if match is None:
        raise ValueError(f"not a corpus header: {header!r}")
    if "" in paragraphs:
        raise ValueError("empty line in a corpus document (or a trailing newline)")
    return CorpusDoc(date=date.fromisoformat(match.group(1)), title=match.group(2), paragraphs=tuple(paragraphs))
