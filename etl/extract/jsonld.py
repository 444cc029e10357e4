"""The JSON-LD step of the fallback chain: the page's NewsArticle (or Article) object. Reads no settings.

Only the fields the chain uses are read: headline, datePublished, dateModified, author (people only; an
Organization named as author is the publisher, not a byline), keywords and articleBody. JSON escapes can
spell lone surrogates (`"\\ud800"`), which no UTF-8 text can hold: each becomes U+FFFD.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml.html import HtmlElement

from etl.transform.clean import clean_paragraphs, clean_text

logger = logging.getLogger(__name__)

_LD_JSON = "application/ld+json"  # `script[type="application/ld+json" i]`: ASCII case ignored
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ARTICLE_TYPES = ("NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "Article", "BlogPosting")
_NON_PERSON_TYPES = frozenset({"Organization", "NewsMediaOrganization", "Corporation", "WebSite"})
_SURROGATE_RE = re.compile("[\ud800-\udfff]")  # json.loads joins escaped pairs: any left is a lone one


def without_surrogates(text: str) -> str:
    """`text` with each lone surrogate code point replaced by U+FFFD."""
    return _SURROGATE_RE.sub("\ufffd", text)


@dataclass(frozen=True)
class JsonLdArticle:
    """The article fields found in the page's JSON-LD, raw strings kept for dates."""

    headline: str | None = None
    date_published: str | None = None
    date_modified: str | None = None
    authors: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    body: tuple[str, ...] = ()


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every JSON object in `node`, descending into lists and @graph."""
    if isinstance(node, list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, dict):
        yield node
        if "@graph" in node:
            yield from _walk(node["@graph"])


def _types(node: dict[str, Any]) -> tuple[str, ...]:
    """The @type values of `node`, without a schema.org prefix."""
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return tuple(str(value).rsplit("/", 1)[-1] for value in values if value)


def _text(value: Any) -> str | None:
    """A cleaned, entity-decoded string, or None for anything that is not a non-empty string."""
    if not isinstance(value, str):
        return None
    return clean_text(html.unescape(without_surrogates(value))) or None


def _authors(value: Any) -> tuple[str, ...]:
    """Names of the people in an author value (string, object or list of them)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            if _NON_PERSON_TYPES.intersection(_types(item)):
                continue
            item = item.get("name")
        name = _text(item)
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _keywords(value: Any) -> tuple[str, ...]:
    """Keywords from a comma-separated string or a list of strings."""
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    words: list[str] = []
    for item in items:
        word = _text(item)
        if word and word not in words:
            words.append(word)
    return tuple(words)


def _body(value: Any) -> tuple[str, ...]:
    """articleBody split into paragraphs on line breaks."""
    if not isinstance(value, str):
        return ()
    return clean_paragraphs(html.unescape(without_surrogates(value)).splitlines())


def _load(script: str) -> Any:
    """Parse one script's JSON (control characters inside strings allowed), or None."""
    try:
        return json.loads(script, strict=False)
    except ValueError:
        logger.debug("unreadable JSON-LD block skipped")
        return None


def find_article(tree: HtmlElement) -> JsonLdArticle | None:
    """Return the first NewsArticle-like object of the page's JSON-LD (NewsArticle preferred), or None."""
    scripts = (script for script in tree.iter("script") if (script.get("type") or "").translate(_ASCII_LOWER) == _LD_JSON)
    candidates = [node for script in scripts for node in _walk(_load(script.text or ""))]
    for wanted in _ARTICLE_TYPES:
        for node in candidates:
            if wanted in _types(node):
                return JsonLdArticle(
                    headline=_text(node.get("headline")),
                    date_published=_text(node.get("datePublished")),
                    date_modified=_text(node.get("dateModified")),
                    authors=_authors(node.get("author")),
                    keywords=_keywords(node.get("keywords")),
                    body=_body(node.get("articleBody")),
                )
    return None
