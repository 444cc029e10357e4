"""The meta-tag step of the fallback chain, and decoding of raw page bytes by `<meta charset>`. Reads no settings.

Read: og:title, article:published_time and article:modified_time (as `name` or `property`), author,
og:image, og:url, `<link rel=canonical>` and `<html lang>`. URLs are made absolute against the page URL.
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from etl.transform.clean import clean_text

logger = logging.getLogger(__name__)

_META = CSSSelector("meta[content]", translator="html")
_CANONICAL = CSSSelector('link[rel~="canonical" i][href]', translator="html")
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_SNIFF_BYTES = 4096


@dataclass(frozen=True)
class MetaTags:
    """The meta tags the chain reads, cleaned; None when absent or empty."""

    title: str | None = None
    published: str | None = None
    modified: str | None = None
    author: str | None = None
    image: str | None = None
    canonical: str | None = None
    og_url: str | None = None
    lang: str | None = None


def declared_charset(raw: bytes) -> str | None:
    """Return the known codec named by a `<meta charset>` or http-equiv tag near the top of `raw`, or None."""
    match = _CHARSET_RE.search(raw[:_SNIFF_BYTES])
    if match is None:
        return None
    name = match.group(1).decode("ascii")
    try:
        return codecs.lookup(name).name
    except LookupError:
        logger.debug("unknown declared charset %r", name)
        return None


def decode_html(raw: bytes) -> str:
    """Decode page bytes: a UTF-8 BOM wins, then the declared charset, else UTF-8 (bad bytes replaced)."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    return raw.decode(declared_charset(raw) or "utf-8", errors="replace")


def _absolute(base_url: str, href: str | None) -> str | None:
    """`href` made absolute against `base_url`, or None when empty."""
    value = clean_text(href or "")
    return urljoin(base_url, value) if value else None


def read_meta(tree: HtmlElement, base_url: str) -> MetaTags:
    """Collect the meta tags of the page (the first non-empty value of each name wins)."""
    values: dict[str, str] = {}
    for element in _META(tree):
        content = clean_text(element.get("content") or "")
        for key in (element.get("property"), element.get("name"), element.get("itemprop")):
            if key and content:
                values.setdefault(key.strip().lower(), content)
    canonical = next((link.get("href") for link in _CANONICAL(tree) if (link.get("href") or "").strip()), None)
    return MetaTags(
        title=values.get("og:title"),
        published=values.get("article:published_time"),
        modified=values.get("article:modified_time"),
        author=values.get("author"),
        image=_absolute(base_url, values.get("og:image")),
        canonical=_absolute(base_url, canonical),
        og_url=_absolute(base_url, values.get("og:url")),
        lang=clean_text(tree.get("lang") or "") or None,
    )
