"""The meta-tag step of the fallback chain, and decoding of raw page bytes. Reads no settings.

Page bytes are decoded by the first of: the charset of the HTTP Content-Type header, a byte-order mark, the
page's `<meta charset>` (or http-equiv), then detection (strict UTF-8, else charset_normalizer's guess);
a name that is not a known codec is skipped.

Read: og:title, article:published_time and article:modified_time (as `name` or `property`), author,
og:image, og:url, `<link rel=canonical>` and `<html lang>`. URLs are made absolute against the page URL.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml.html import HtmlElement

from etl.transform.clean import clean_text

logger = logging.getLogger(__name__)

#: The meta names (or properties) the chain reads.
_WANTED = frozenset({"og:title", "article:published_time", "article:modified_time", "author", "og:image", "og:url"})
_KEY_ATTRIBUTES = frozenset({"property", "name", "itemprop"})  # where a meta tag's name may be
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_XML_SPACE_RE = re.compile("[ \t\r\n]+")  # what XPath's normalize-space (so CSS `~=`) splits on
#: An absolute http(s) URL that `urljoin` returns unchanged: ASCII, no query, fragment, parameters or IPv6 host.
_PLAIN_URL_RE = re.compile(r"https?://[^/?#;\[\]]+[^?#;\[\]]*\Z")
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_HTTP_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
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


@functools.lru_cache(maxsize=256)
def _known_codec(name: str) -> str | None:
    """The canonical name of a known codec, or None (remembered: `codecs.lookup` normalises the name every time)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _codec(name: str) -> str | None:
    """The canonical name of a known codec, or None."""
    codec = _known_codec(name)
    if codec is None:
        logger.debug("unknown charset %r", name)
    return codec


def declared_charset(raw: bytes) -> str | None:
    """Return the known codec named by a `<meta charset>` or http-equiv tag near the top of `raw`, or None."""
    match = _CHARSET_RE.search(raw[:_SNIFF_BYTES])
    return _codec(match.group(1).decode("ascii")) if match else None


def http_charset(content_type: str | None) -> str | None:
    """Return the known codec named by the charset parameter of an HTTP Content-Type value, or None."""
    match = _HTTP_CHARSET_RE.search(content_type or "")
    return _codec(match.group(1)) if match else None


def detected_charset(raw: bytes) -> str:
    """UTF-8 when `raw` is valid UTF-8, else charset_normalizer's best guess (UTF-8 when it has none)."""
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[: 64 * _SNIFF_BYTES]).best()
    return (_codec(best.encoding) if best is not None else None) or "utf-8"


def stated_charset(raw: bytes, content_type: str | None = None) -> tuple[str | None, int]:
    """The codec page bytes state (HTTP header, BOM, `<meta charset>`; None: none, to be detected) and the length of a
    BOM to skip."""
    bom = next(((len(mark), name) for mark, name in _BOMS if raw.startswith(mark)), None)
    header = http_charset(content_type)
    if header is not None:
        return header, bom[0] if bom and codecs.lookup(bom[1]) == codecs.lookup(header) else 0
    if bom is not None:
        return bom[1], bom[0]
    return declared_charset(raw), 0


def page_charset(raw: bytes, content_type: str | None = None) -> tuple[str, int]:
    """The codec of page bytes (HTTP header, BOM, `<meta charset>`, detection) and the length of a BOM to skip."""
    charset, skip = stated_charset(raw, content_type)
    return charset or detected_charset(raw), skip


def decode_page(raw: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Page bytes decoded by `page_charset` (bad bytes replaced), and the codec's name."""
    charset, skip = page_charset(raw, content_type)
    return raw[skip:].decode(charset, errors="replace"), charset


def _absolute(base_url: str, href: str | None) -> str | None:
    """`href` made absolute against `base_url`, or None when empty or not a URL (e.g. a broken IPv6 host)."""
    value = clean_text(href or "")
    if not value:
        return None
    if value.isascii() and _PLAIN_URL_RE.match(value):
        return value  # what urljoin returns for it, without parsing it twice
    try:
        return urljoin(base_url, value)
    except ValueError:
        logger.debug("unreadable URL %r ignored", value)
        return None


def _is_canonical(link: HtmlElement) -> bool:
    """`link[rel~="canonical" i][href]`: a rel word "canonical" (ASCII case ignored) and an href."""
    rel = link.get("rel")
    return bool(rel) and link.get("href") is not None and "canonical" in _XML_SPACE_RE.split(rel.translate(_ASCII_LOWER))


def read_meta(tree: HtmlElement, base_url: str) -> MetaTags:
    """Collect the meta tags of the page (the first non-empty value of each name wins)."""
    values: dict[str, str] = {}
    canonical: str | None = None
    for element in tree.iter("meta", "link"):
        if element.tag == "link":
            if canonical is None and _is_canonical(element) and (element.get("href") or "").strip():
                canonical = element.get("href")
            continue
        content: str | None = None
        keys: list[str] = []
        for name, value in element.items():  # one call for all attributes (names in lower case)
            if name == "content":
                content = value
            elif name in _KEY_ATTRIBUTES and value:
                key = value.strip().lower()
                if key in _WANTED and key not in values:
                    keys.append(key)
        if content is not None and keys:
            text = clean_text(content)
            if text:
                values.update((key, text) for key in keys if key not in values)
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
