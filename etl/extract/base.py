"""Fallback-chain machinery shared by the site parsers: the loaded page, the chain and the parser base class.

Each field is produced by the first step of its chain that yields a non-empty value, and
`Article.methods[field]` names that step: `jsonld`, `meta`, `selectors` (the site parser's own rules:
CSS selectors, URL rules, site defaults) or `generic` (trafilatura). The order per field:

- title: jsonld headline -> meta og:title -> selectors -> generic (the first `h1`, else trafilatura's title;
  the site's title suffix is stripped from every candidate, e.g. " | Kazinform").
- body (`paragraphs`): selectors -> jsonld articleBody (split on line breaks) -> generic (the page's main text
  block without promos, ads and link lists, `etl.extract.generic.main_paragraphs`; else trafilatura, minus a
  repeat of the title, which it returns as the body of pages that have none). Site selectors come
  first because they give every paragraph in page order, dateline and quotes included; articleBody is often
  a summary or flattened text.
- published_at: jsonld datePublished -> meta article:published_time -> selectors (the site's `<time datetime>`
  or visible time) -> generic (any `<time datetime>`, else a date printed as text near the `h1`, in Kazakh,
  Russian or English formats: `etl.extract.textdates`) -> discovery (the date the feed, sitemap or listing gave
  for the URL, `Page.listed_at`, when the page itself has none). modified_at: jsonld -> meta -> selectors. A
  date outside `etl.core.dates.plausible` (before 1990, or later than `fetched_at` - now when not given - plus
  one day) or not representable in UTC is rejected with a warning and the next step is tried.
- author: jsonld author (people) -> meta author -> selectors.
- tags: jsonld keywords -> selectors.
- image_url: meta og:image -> selectors.
- canonical_url: meta `<link rel=canonical>`, then og:url, when it is an article URL of the source ->
  selectors (the page URL in the source's canonical form, `etl.core.urls.ArticleUrls`).
- language: meta `<html lang>` (primary subtag, "kz"/"kaz" read as "kk") -> selectors (the source's language).

`SiteParser.steps` declares every field's chain once: `parse` runs it, `layers` (for `newsarchive probe`)
runs every step. `article_id` (from the page URL, else the canonical URL) and `dateline_place` (from the first paragraphs) are
derived, not chained. A page without a title or a body, or a bot challenge page, raises `ExtractionError`.
A page whose HTML does not end with `</html>` (cut off in transfer, or by the site) is still parsed, and
`methods["html"] = "truncated"` flags it (the extract step counts these as `truncated_html`).
The page is parsed once and read in place, never copied or modified: clean UTF-8 bytes (the usual page) are parsed
as they are, never decoded, and the page-level checks read those bytes, each string searched for at most once
(`utf8_tree`, which says when a page takes the text path instead). Whole-page searches go through `Page.select`
(once per page, skipped when the text cannot hold a match); cheap checks come first (the bot challenge: its title,
then whether the challenge search can match at all, then its markers in the text, only then a search of the tree).
Reads no settings.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar, Protocol, TypeVar

import lxml.etree
import lxml.html
from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from etl.core.dates import parse_iso, plausible, to_utc
from etl.core.model import Article
from etl.core.urls import ArticleUrls
from etl.extract.generic import GenericResult, extract_generic, main_paragraphs
from etl.extract.jsonld import JsonLdArticle, find_article, without_surrogates
from etl.extract.meta import MetaTags, decode_page, read_meta, stated_charset
from etl.extract.selectors import absent, css, holds, plain, select_inside
from etl.extract.textdates import find_page_date
from etl.transform.clean import clean_paragraphs, clean_text

logger = logging.getLogger(__name__)

JSONLD, META, SELECTORS, GENERIC, DISCOVERY = "jsonld", "meta", "selectors", "generic", "discovery"
#: The steps that mean the site's own markup was not understood (health counts them per source and field).
FALLBACK_METHODS = frozenset({GENERIC, DISCOVERY})
LANGUAGE_ALIASES = {"kz": "kk", "kaz": "kk", "qz": "kk", "rus": "ru", "eng": "en"}
CHALLENGE_TITLE_RE = re.compile(
    r"^\s*(?:just a moment|один момент)(?:\.{3}|…)?\s*$|^\s*attention required!.*cloudflare", re.IGNORECASE
)
CHALLENGE_XPATH = lxml.etree.XPath(
    "//script[contains(., '_cf_chl_opt') or contains(@src, '/cdn-cgi/challenge-platform/')]"
    " | //*[@id='challenge-form' or @id='cf-wrapper' or @id='challenge-running']"
)
#: Strings one of which is in the HTML of every page `CHALLENGE_XPATH` can match (Cloudflare writes its markers
#: literally; "challenge" stands for three of them), so pages without any skip the search of the whole tree.
CHALLENGE_STRINGS = ("challenge", "_cf_chl_opt", "cf-wrapper")
_CHALLENGE_BYTES = tuple(marker.encode("ascii") for marker in CHALLENGE_STRINGS)
#: The elements with the ids `CHALLENGE_XPATH` looks for, found in the parser's table of ids (no search of the tree);
#: with the scripts' `src` and `_cf_chl_opt` in the HTML, what any match of the XPath needs.
_CHALLENGE_IDS = lxml.etree.XPath("id('challenge-form cf-wrapper challenge-running')")
_CHALLENGE_SRC = "/cdn-cgi/challenge-platform/"
_CHALLENGE_SCRIPT = "_cf_chl_opt"
_CHALLENGE_SCRIPT_BYTES = _CHALLENGE_SCRIPT.encode("ascii")

TRUNCATED = "truncated"
#: Characters XML (and so lxml's text nodes) cannot hold: C0 controls other than tab and line breaks, and the
#: non-characters U+FFFE/U+FFFF. Pages that carry them (stray bytes) lose them before parsing.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_TEXT_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # the above, or a lone surrogate
#: The controls of `_NOT_XML_RE` as UTF-8 bytes (a table turning them, and only them, into NUL: then memchr finds
#: one), and its non-characters U+FFFE/U+FFFF (their lead byte is rare, so memchr first).
_NOT_XML_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NOT_XML_TO_NUL = bytes(0 if byte in _NOT_XML_BYTES else 1 for byte in range(256))
_NON_CHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")
_UTF8 = "utf-8"
#: libxml2's error for bytes that are not UTF-8 (it replaces them as Python does, but only Python's text path is
#: the reference), and how many errors it reports at most per parse (XML_MAX_ERRORS): past that, one may go unsaid.
_INVALID_ENCODING = lxml.etree.ErrorTypes.ERR_INVALID_ENCODING
_MAX_REPORTED_ERRORS = 100
_HTML_END_RE = re.compile(r"</html\s*>", re.IGNORECASE)
_TAIL_CHARS = 4096  # where a complete page's `</html>` is (only comments and white space may follow it)
_UTF8_MAX = 4  # bytes per character
#: Up to this length (characters or bytes) a page's text is searched for a selector's required strings before any
#: whole-page search; a longer one only before a selector that tests every element: on a realistic 100 KB page the
#: text search costs 15-30 µs, libxml2's search for one tag's elements 5-11 µs, for every element's class 40 µs.
_SCAN_FIRST = 32768

#: Besides an `h1`, elements any of which makes a fetched page an article (with the versions' markers).
ARTICLE_MARKERS = (
    'meta[property="og:type"][content="article"]', 'meta[property="article:published_time"]',
    'meta[name="article:published_time"]', "[itemprop=articleBody]",
)

H1 = css("h1")

_THREAD = threading.local()


def html_parser(encoding: str | None = None) -> lxml.html.HTMLParser:
    """This thread's lxml.html parser (for text, or bytes in `encoding`) with the element classes chosen in C, not by a
    Python call per element: every element is a plain `HtmlElement` (no form-field classes, which extraction never
    uses), so each element read costs a third."""
    parsers: dict[str | None, lxml.html.HTMLParser] = _THREAD.__dict__.setdefault("parsers", {})
    parser = parsers.get(encoding)
    if parser is None:
        parser = parsers[encoding] = lxml.html.HTMLParser(encoding=encoding)
        parser.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
            element=HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        ))
    return parser


T = TypeVar("T")
Step = tuple[str, Callable[[], T | None]]


class Site(Protocol):
    """What a parser needs to know of its source (a source spec of `etl.sources` is one)."""

    @property
    def name(self) -> str:
        """The source name stored with each article."""

    @property
    def language(self) -> str:
        """The main language (ISO 639-1), the last step of the language chain."""

    @property
    def urls(self) -> ArticleUrls:
        """The article URL rule and its canonical form."""

    @property
    def tz(self) -> tzinfo:
        """The time zone of times printed without an offset."""


class ExtractionError(Exception):
    """The page is not an article (no title or no body); the message names the URL and what is missing."""


@dataclass(frozen=True)
class Stamp:
    """A parsed date (aware, UTC) and the exact string it was read from."""

    moment: datetime
    raw: str


@dataclass(frozen=True)
class Page:
    """One fetched page, parsed once: its tree, JSON-LD article and meta tags."""

    site: Site
    url: str
    tree: HtmlElement
    jsonld: JsonLdArticle
    meta: MetaTags
    fetched_at: datetime | None = None
    #: The date discovery (feed, sitemap, listing) gave for the URL, the last step of the published_at chain.
    listed_at: datetime | None = None
    truncated: bool = False  # the HTML does not end with `</html>`
    #: Whether the page is a bot challenge (`is_challenge`); None: not yet known, decided from the tree.
    challenge: bool | None = None
    #: The text (or the UTF-8 bytes) the tree was parsed from, when known and without numeric character references:
    #: selectors whose required strings are not in it are not run (`etl.extract.selectors.absent`).
    plain_html: str | bytes | None = field(default=None, repr=False, compare=False)
    _found: dict[CSSSelector, list[HtmlElement]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(
        cls, site: Site, url: str, html: str | bytes, fetched_at: datetime | None = None,
        listed_at: datetime | None = None, content_type: str | None = None,
    ) -> Page:
        """Decode (bytes: by the HTTP `content_type` charset, BOM, `<meta charset>`, detection) and parse `html`;
        ExtractionError when it is not HTML.

        Clean UTF-8 bytes (`utf8_tree`) are parsed as they are, without being decoded; any other page is decoded and
        cleaned as text first. Both give the same tree, and the page's checks read whichever was parsed.
        """
        source: str | bytes | None = None
        if isinstance(html, bytes):
            tree = utf8_tree(html, content_type)
            if tree is not None:
                source = html
        if source is None:
            source = _page_text(html, content_type)
            try:
                tree = lxml.html.document_fromstring(source, parser=html_parser())
            except (lxml.etree.ParserError, ValueError) as exc:
                raise ExtractionError(f"{url}: not an HTML document ({exc})") from None
        jsonld = find_article(tree) or JsonLdArticle()
        fetched = to_utc(fetched_at, UTC) if fetched_at else None  # naive means UTC
        listed = to_utc(listed_at, site.tz) if listed_at else None  # naive means the source's zone
        return cls(site, url, tree, jsonld, read_meta(tree, url), fetched, listed, not ends_complete(source),
                   is_challenge(tree, source), plain(source))

    def select(self, selector: CSSSelector) -> list[HtmlElement]:
        """The elements `selector` matches in the whole page, searched for once per page, and not at all when the
        page's text shows it cannot match (`etl.extract.selectors.absent`: asked when the page is short or the
        selector tests every element); do not modify the list."""
        found = self._found.get(selector)
        if found is None:
            text = self.plain_html
            absent_here = (text is not None and (len(text) <= _SCAN_FIRST or getattr(selector, "any_element", True))
                           and absent(selector, text))
            found = self._found[selector] = [] if absent_here else selector(self.tree)
        return found

    @property
    def is_challenge(self) -> bool:
        """Whether the page is a bot challenge page (see `is_challenge`)."""
        return self.challenge if self.challenge is not None else is_challenge(self.tree)


def _has_not_xml_bytes(raw: bytes) -> bool:
    """Whether UTF-8 `raw` holds a character `_NOT_XML_RE` removes (a bytes scan is cheaper than a text one)."""
    if b"\0" in raw.translate(_NOT_XML_TO_NUL):
        return True
    return raw.find(b"\xef") >= 0 and any(character in raw for character in _NON_CHARACTERS)  # memchr first


def _page_text(html: str | bytes, content_type: str | None) -> str:
    """The page as text for lxml: bytes decoded (`decode_page`), without the characters XML cannot hold."""
    if isinstance(html, bytes):
        text, charset = decode_page(html, content_type)
        clean = charset == _UTF8 and not _has_not_xml_bytes(html)  # UTF-8 decoding leaves no lone surrogate
    else:
        text, clean = html, False
    if not clean and _NOT_TEXT_RE.search(text):  # most pages have nothing to remove
        text = without_surrogates(_NOT_XML_RE.sub("", text))
    return text


def utf8_tree(raw: bytes, content_type: str | None = None) -> HtmlElement | None:
    """The tree of page bytes parsed as they are, when that is the tree of their text (`Page.load`): UTF-8 stated
    (HTTP header or `<meta charset>`) or none stated, no BOM, no XML declaration (lxml refuses text that has one),
    no character `_NOT_XML_RE` removes, and valid UTF-8 (libxml2 reports no invalid byte); else None."""
    charset, skip = stated_charset(raw, content_type)
    if charset not in (None, _UTF8) or skip or raw.startswith(b"<?xml") or _has_not_xml_bytes(raw):
        return None
    parser = html_parser(_UTF8)
    try:
        tree = lxml.html.document_fromstring(raw, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None  # the text path words the error
    errors = parser.error_log
    if len(errors) >= _MAX_REPORTED_ERRORS or any(error.type == _INVALID_ENCODING for error in errors):
        return None
    return tree


def ends_complete(html: str | bytes) -> bool:
    """Whether the page ends with `</html>` in its last `_TAIL_CHARS` characters (bytes: valid UTF-8)."""
    if isinstance(html, bytes):
        if html.find(b"</html>", len(html) - _TAIL_CHARS) >= 0:  # within as many bytes, so as many characters
            return True
        html = html[-(_UTF8_MAX * _TAIL_CHARS + _UTF8_MAX - 1):].decode(_UTF8, errors="ignore")  # >= as many chars
    tail = max(0, len(html) - _TAIL_CHARS)
    return html.find("</html>", tail) >= 0 or _HTML_END_RE.search(html, tail) is not None


class FieldChain:
    """Runs the steps of each field in order and records in `methods` which step answered."""

    def __init__(self) -> None:
        self.methods: dict[str, str] = {}

    def first(self, field: str, *steps: Step[T]) -> T | None:
        """Return the first non-empty value of `steps` for `field`, or None when every step came up empty."""
        for method, step in steps:
            value = step()
            if value:
                self.methods[field] = method
                return value
        return None


def is_challenge(tree: HtmlElement, html: str | bytes | None = None) -> bool:
    """Tell whether the page is a bot challenge (Cloudflare "Just a moment..."), which is never an article.

    Given the page's `html` (the text or UTF-8 bytes `tree` was parsed from, its ids collected as lxml does by
    default): a challenge title, or any `CHALLENGE_STRINGS` in the html and a match of `CHALLENGE_XPATH`. Cheap
    checks first: the title; then whether the XPath can match at all (an element with one of its ids in the parser's
    id table, a script `src`, or `_cf_chl_opt` in the html: script text is read as written); only then the markers
    and the search of the whole tree.
    """
    element = next(tree.iter("title"), None)
    if element is not None and CHALLENGE_TITLE_RE.match(element.text or ""):
        return True
    if html is None:
        return bool(CHALLENGE_XPATH(tree))
    if not (_CHALLENGE_IDS(tree) or any(_CHALLENGE_SRC in (script.get("src") or "") for script in tree.iter("script"))
            or (holds(html, _CHALLENGE_SCRIPT_BYTES) if isinstance(html, bytes) else _CHALLENGE_SCRIPT in html)):
        return False
    markers: tuple[str | bytes, ...] = _CHALLENGE_BYTES if isinstance(html, bytes) else CHALLENGE_STRINGS
    return any(marker in html for marker in markers) and bool(CHALLENGE_XPATH(tree))  # type: ignore[operator]


def normalise_language(value: str | None) -> str | None:
    """The primary language subtag in lower case ('kk-KZ' -> 'kk', 'kz' -> 'kk'), or None."""
    primary = (value or "").strip().replace("_", "-").split("-")[0].lower()
    return LANGUAGE_ALIASES.get(primary, primary) or None


def first_text(tree: HtmlElement, selectors: Iterable[CSSSelector]) -> str | None:
    """The cleaned text of the first non-empty element matched by `selectors`, tried in order."""
    for selector in selectors:
        for element in selector(tree):
            text = clean_text(element.text_content())
            if text:
                return text
    return None


def unique_texts(elements: Iterable[HtmlElement]) -> tuple[str, ...]:
    """The cleaned, non-empty texts of `elements` in document order, each once (tag lists)."""
    texts: list[str] = []
    for element in elements:
        text = clean_text(element.text_content())
        if text and text not in texts:
            texts.append(text)
    return tuple(texts)


def _text(element: HtmlElement, dropped: set[HtmlElement]) -> str:
    """The text of `element` without the `dropped` elements inside it (their tails kept); `<br>` reads as a space."""
    if not len(element):
        return element.text or ""
    parts: list[str] = []
    stack: list[tuple[HtmlElement, bool]] = [(element, False)]  # (node, its end reached); no recursion limit
    while stack:
        node, end = stack.pop()
        if end:
            parts.append(" " if node.tag == "br" else "")
            parts.append((node.tail or "") if node is not element else "")
        elif node in dropped or not isinstance(node.tag, str):  # comments and processing instructions: no text
            parts.append(node.tail or "")
        else:
            parts.append(node.text or "")
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node))
    return "".join(parts)


def block_paragraphs(container: HtmlElement, drop: CSSSelector, stop: CSSSelector | None = None) -> tuple[str, ...]:
    """Text of each `<p>` and `<blockquote>` in `container`, in page order, without `drop` and after `stop`.

    A blockquote holding paragraphs yields those paragraphs; `<br>` reads as a space. Both selectors are searched
    inside `container` only, and the page is read as it is (nothing copied, nothing removed).
    """
    dropped = {element for element in select_inside(drop, container) if element is not container}
    if dropped:  # every element inside a dropped one is dropped too
        dropped.update(inner for element in list(dropped) for inner in element.iterdescendants())
    stops = {element for element in select_inside(stop, container) if element not in dropped} if stop else set()
    texts: list[str] = []
    for element in container.iter() if stops else container.iter("p", "blockquote"):
        if element in dropped:
            continue
        if element in stops:
            break
        if element.tag == "p" or (element.tag == "blockquote" and not any(
            inner not in dropped for inner in element.iterdescendants("p", "blockquote")
        )):
            texts.append(_text(element, dropped))
    return clean_paragraphs(texts)


class SiteParser:
    """Base of the site parsers: the selector step of each field, declared by class constants (or overridden);
    `parse` runs the chain."""

    VERSION: ClassVar[str] = ""
    MARKER: ClassVar[CSSSelector | None] = None
    #: Title headings tried in order, and the site suffix removed from every title candidate.
    TITLES: ClassVar[tuple[CSSSelector, ...]] = ()
    TITLE_SUFFIX_RE: ClassVar[re.Pattern[str] | None] = None
    #: The body container (first match), where it ends, and what inside it is not text.
    BODY: ClassVar[CSSSelector | None] = None
    BODY_END: ClassVar[CSSSelector | None] = None
    DROP: ClassVar[CSSSelector] = css("figure, figcaption, img, picture, video, iframe, script, style, noscript")
    #: The visible publication time (`datetime` attribute, else the text read by `visible_time`).
    TIMES: ClassVar[CSSSelector | None] = None
    AUTHORS: ClassVar[tuple[CSSSelector, ...]] = ()
    TAG_LINKS: ClassVar[CSSSelector | None] = None

    def __init__(self, page: Page) -> None:
        self.page = page
        self.tz = page.site.tz
        self._generic: GenericResult | None = None
        self._chosen_title: str | None = None

    @classmethod
    def matches(cls, page: Page) -> bool:
        """Tell whether the page carries this markup version's marker element."""
        return cls.MARKER is not None and bool(page.select(cls.MARKER))

    # The selector step of each field, from the class constants; a field without them finds nothing.

    def title(self) -> str | None:
        """The text of the first non-empty title heading."""
        return first_text(self.page.tree, self.TITLES)

    def strip_title(self, title: str) -> str:
        """The title without the site's suffix (og:title, <title>)."""
        return self.TITLE_SUFFIX_RE.sub("", title) if self.TITLE_SUFFIX_RE else title

    def visible_time(self, text: str) -> datetime | None:
        """A time printed without a `datetime` attribute, read the site's way (default: not read)."""
        return None

    def published(self) -> Stamp | None:
        """The first `TIMES` element's `datetime`, else its text read by `visible_time`."""
        for element in self.TIMES(self.page.tree) if self.TIMES is not None else ():
            stamp = self.iso_stamp(element.get("datetime"))
            if stamp:
                return stamp
            raw = clean_text(element.text_content())
            moment = self.visible_time(raw) if raw else None
            if moment:
                return Stamp(moment, raw)
        return None

    def modified(self) -> Stamp | None:
        """The modification time shown on the page."""
        return None

    def paragraphs(self) -> tuple[str, ...]:
        """Every paragraph and quote of the body container, in page order, up to `BODY_END`, without `DROP`."""
        containers = self.page.select(self.BODY) if self.BODY is not None else ()
        return block_paragraphs(containers[0], self.DROP, self.BODY_END) if containers else ()

    def author(self) -> str | None:
        """The first non-empty byline."""
        return first_text(self.page.tree, self.AUTHORS)

    def tags(self) -> tuple[str, ...]:
        """The tag link texts, in page order, without duplicates."""
        return unique_texts(self.TAG_LINKS(self.page.tree)) if self.TAG_LINKS is not None else ()

    def image_url(self) -> str | None:
        """The lead image from the page markup."""
        return None

    def canonical_url(self) -> str | None:
        """The page URL in the source's canonical form (no query or fragment, the source's trailing slash)."""
        return self.page.site.urls.normalise(self.page.url)

    def language(self) -> str | None:
        """The source's language."""
        return self.page.site.language

    def dateline_place(self, paragraphs: tuple[str, ...]) -> str | None:
        """The place of the dateline that opens the body."""
        return None

    # The chain.

    def generic(self) -> GenericResult:
        """trafilatura's result for the page, computed at most once."""
        if self._generic is None:
            self._generic = extract_generic(self.page.tree, self.page.url)
        return self._generic

    def generic_title(self) -> str | None:
        """The first `h1` of the page, else trafilatura's title."""
        return first_text(self.page.tree, (H1,)) or self.generic().title

    def generic_paragraphs(self, title: str | None) -> tuple[str, ...]:
        """The paragraphs of the page's main text block, else trafilatura's (minus a repeat of the title)."""
        return main_paragraphs(self.page.tree) or tuple(text for text in self.generic().paragraphs if text != title)

    def generic_published(self) -> Stamp | None:
        """Any `<time datetime>` of the page, else a date printed as text (`etl.extract.textdates`); a bare day
        gives way to the discovery date when that falls on the same local day."""
        found = find_page_date(self.page.tree, self.tz)
        if found is None:
            return None
        listed = self.page.listed_at
        if not found.has_time and listed and listed.astimezone(self.tz).date() == found.moment.astimezone(self.tz).date():
            return None
        return self._plausible(Stamp(found.moment, found.raw))

    def listed_published(self) -> Stamp | None:
        """The date discovery gave for the URL (feed pubDate, sitemap or listing time), when there is one."""
        listed = self.page.listed_at
        return self._plausible(Stamp(listed, listed.isoformat())) if listed else None

    def _title(self, value: str | None) -> str | None:
        """A title candidate without the site suffix, or None."""
        if not value:
            return None
        return clean_text(self.strip_title(value)) or None

    def _plausible(self, stamp: Stamp | None) -> Stamp | None:
        """`stamp` unless it is outside the plausible window (`etl.core.dates.plausible`)."""
        if stamp is None:
            return None
        if not plausible(stamp.moment, self.page.fetched_at):
            logger.warning("implausible date %r ignored on %s", stamp.raw, self.page.url)
            return None
        return stamp

    def iso_stamp(self, raw: str | None) -> Stamp | None:
        """A plausible stamp from an ISO string (naive means the site's zone), or None."""
        moment = parse_iso(raw, self.tz) if raw else None
        return self._plausible(Stamp(moment, raw)) if moment and raw else None

    def _article_url(self, url: str | None) -> str | None:
        """`url` in canonical form when it is an article URL of the source, else None."""
        return self.page.site.urls.canonical(url) if url else None

    def _article_id(self, canonical_url: str | None) -> str | None:
        """The id in the page URL (as given, then normalised), else in the canonical URL."""
        urls, url = self.page.site.urls, self.page.url
        return urls.article_id(url) or urls.article_id(urls.normalise(url)) or (
            urls.article_id(canonical_url) if canonical_url else None
        )

    def steps(self) -> dict[str, tuple[Step[Any], ...]]:
        """Every chained field's steps, in order: the one definition `parse` and the probe's `layers` run."""
        jsonld, meta = self.page.jsonld, self.page.meta
        return {
            "title": (
                (JSONLD, lambda: self._title(jsonld.headline)),
                (META, lambda: self._title(meta.title)),
                (SELECTORS, lambda: self._title(self.title())),
                (GENERIC, lambda: self._title(self.generic_title())),
            ),
            "body": (
                (SELECTORS, self.paragraphs),
                (JSONLD, lambda: jsonld.body),
                (GENERIC, lambda: self.generic_paragraphs(self.chosen_title())),
            ),
            "published_at": (
                (JSONLD, lambda: self.iso_stamp(jsonld.date_published)),
                (META, lambda: self.iso_stamp(meta.published)),
                (SELECTORS, lambda: self._plausible(self.published())),
                (GENERIC, self.generic_published),
                (DISCOVERY, self.listed_published),
            ),
            "modified_at": (
                (JSONLD, lambda: self.iso_stamp(jsonld.date_modified)),
                (META, lambda: self.iso_stamp(meta.modified)),
                (SELECTORS, lambda: self._plausible(self.modified())),
            ),
            "canonical_url": (
                (META, lambda: self._article_url(meta.canonical) or self._article_url(meta.og_url)),
                (SELECTORS, self.canonical_url),
            ),
            "language": (
                (META, lambda: normalise_language(meta.lang)),
                (SELECTORS, lambda: normalise_language(self.language())),
            ),
            "author": (
                (JSONLD, lambda: ", ".join(jsonld.authors) or None),
                (META, lambda: meta.author),
                (SELECTORS, self.author),
            ),
            "tags": ((JSONLD, lambda: jsonld.keywords), (SELECTORS, self.tags)),
            "image_url": ((META, lambda: meta.image), (SELECTORS, self.image_url)),
        }

    def chosen_title(self) -> str | None:
        """The title the chain picks (the generic body drops a repeat of it)."""
        if self._chosen_title is None:
            self._chosen_title = FieldChain().first("title", *self.steps()["title"]) or ""
        return self._chosen_title or None

    def layers(self) -> dict[str, dict[str, Any]]:
        """What every step of every field yields on this page (empty results left out): the probe's view."""
        return {
            field: {method: value for method, step in steps if (value := step())}
            for field, steps in self.steps().items()
        }

    def parse(self) -> Article:
        """Run every field's chain and return the article; ExtractionError when the title or body is missing."""
        page, chain = self.page, FieldChain()
        if page.is_challenge:
            raise ExtractionError(f"{page.url}: not an article, a bot challenge page (blocked)")
        steps = self.steps()
        title = chain.first("title", *steps["title"])
        self._chosen_title = title or ""
        paragraphs = chain.first("body", *steps["body"])
        missing = [name for name, value in (("title", title), ("body", paragraphs)) if not value]
        if not title or not paragraphs:
            raise ExtractionError(f"{page.url}: not an article, no {' and no '.join(missing)}")
        if chain.methods["body"] == GENERIC:
            logger.warning("body of %s came from the generic extractor (%s): layout change?", page.url, self.VERSION)
        if page.truncated:
            chain.methods["html"] = TRUNCATED
            logger.warning("%s: the HTML ends without </html> (truncated?)", page.url)
        published = chain.first("published_at", *steps["published_at"])
        modified = chain.first("modified_at", *steps["modified_at"])
        canonical = chain.first("canonical_url", *steps["canonical_url"])
        article_id = self._article_id(canonical)
        if article_id is None:
            raise ExtractionError(f"{page.url}: not an article, no article id in the URL")
        return Article(
            source=page.site.name,
            article_id=article_id,
            url=page.url,
            canonical_url=canonical or page.site.urls.normalise(page.url),
            title=title,
            paragraphs=paragraphs,
            published_at=published.moment if published else None,
            published_raw=published.raw if published else None,
            modified_at=modified.moment if modified else None,
            language=chain.first("language", *steps["language"]),
            dateline_place=self.dateline_place(paragraphs),
            author=chain.first("author", *steps["author"]),
            tags=chain.first("tags", *steps["tags"]) or (),
            image_url=chain.first("image_url", *steps["image_url"]),
            extractor_version=self.VERSION,
            methods=chain.methods,
        )


@dataclass(frozen=True)
class ParserFamily:
    """A source's parser versions, tried in order by their markup marker; `default` when none matches."""

    versions: tuple[type[SiteParser], ...]
    default: type[SiteParser]

    def pick(self, page: Page) -> type[SiteParser]:
        """The first version whose marker is on the page, else the default (usually the newest)."""
        chosen = next((version for version in self.versions if version.matches(page)), self.default)
        logger.debug("%s parsed with %s", page.url, chosen.VERSION)
        return chosen

    @property
    def markers(self) -> tuple[str, ...]:
        """CSS selectors any of which (or an `h1`) tells the crawler that a fetched page is an article."""
        return ARTICLE_MARKERS + tuple(version.MARKER.css for version in self.versions if version.MARKER)

    def parser(
        self, site: Site, url: str, html: str | bytes, *, fetched_at: datetime | None = None,
        listed_at: datetime | None = None, content_type: str | None = None,
    ) -> SiteParser:
        """The parser of the version that fits the page (ExtractionError when it is not HTML)."""
        page = Page.load(site, url, html, fetched_at=fetched_at, listed_at=listed_at, content_type=content_type)
        return self.pick(page)(page)

    def extract(
        self, site: Site, url: str, html: str | bytes, *, fetched_at: datetime | None = None,
        listed_at: datetime | None = None, content_type: str | None = None,
    ) -> Article:
        """Parse one fetched page of `site` into a cleaned `Article`; ExtractionError when it is not an article.

        `listed_at` is the date discovery gave for the URL, used only when the page shows none; `content_type` is
        the response's HTTP Content-Type (its charset comes first).
        """
        article = self.parser(site, url, html, fetched_at=fetched_at, listed_at=listed_at,
                              content_type=content_type).parse()
        logger.debug("extracted %s with %s (%s)", url, article.extractor_version, article.methods)
        return article
