"""Tengrinews (kaz.tengrinews.kz) article parsers, one class per markup version (fundus style). Reads no settings.

JSON-LD `NewsArticle` (headline, articleBody, datePublished, author, keywords) answers first where the chain
allows it (title, dates, author, tags); the body comes from the site container first, then articleBody.

`TengrinewsV2025`: `h1.head-single`, body `<p>`/`<blockquote>` in `div.content_main_text` up to `#comm` or
`.content_main_text_tags`, visible time `span.date-time` ("31 желтоқсан 2025, 08:15" or "Сегодня, 08:15").
`TengrinewsV2026` (the fixture's redesign): `h1.tn-news-title`, body `div.tn-news-text` up to `.tn-news-tags`,
`time.tn-news-date` (with or without `datetime`). A page with neither container goes to V2026, whose chain
then falls back to JSON-LD articleBody and generic extraction.
"""

from __future__ import annotations

import re
from typing import ClassVar

from lxml.cssselect import CSSSelector

from etl.core.dates import local_date, parse_day_time
from etl.extract.base import ParserFamily, SiteParser, Stamp, block_paragraphs, css, first_text, unique_texts
from etl.transform.clean import clean_text

VERSION_2025 = "tengrinews-2025.1"
VERSION_2026 = "tengrinews-2026.1"


class TengrinewsParser(SiteParser):
    """What both Tengrinews markups share; subclasses set the containers."""

    BODY: ClassVar[CSSSelector]
    BODY_END: ClassVar[CSSSelector]
    TITLES: ClassVar[tuple[CSSSelector, ...]]
    TIMES: ClassVar[CSSSelector]
    AUTHORS: ClassVar[tuple[CSSSelector, ...]]
    TAG_LINKS: ClassVar[CSSSelector]
    DROP = css(
        "figure, figcaption, img, picture, video, iframe, script, style, noscript, "
        "[class*=banner], [class*=share], [class*=social], [id*=adfox]"
    )
    TITLE_SUFFIX_RE = re.compile(r"\s*[-|–]\s*Tengrinews(?:\.kz)?\s*$", re.IGNORECASE)

    def title(self) -> str | None:
        """The page heading."""
        return first_text(self.page.tree, self.TITLES)

    def strip_title(self, title: str) -> str:
        """The title without a trailing ' - Tengrinews.kz'."""
        return self.TITLE_SUFFIX_RE.sub("", title)

    def published(self) -> Stamp | None:
        """The `datetime` of the visible time, else its text (absolute, or relative to the fetch day)."""
        for element in self.TIMES(self.page.tree):
            stamp = self.iso_stamp(element.get("datetime"))
            if stamp:
                return stamp
            raw = clean_text(element.text_content())
            fetched = self.page.fetched_at
            moment = parse_day_time(raw, local_date(fetched, self.tz) if fetched else None, self.tz)
            if moment:
                return Stamp(moment, raw)
        return None

    def paragraphs(self) -> tuple[str, ...]:
        """Every paragraph and quote of the body container, up to the tags or comments."""
        containers = self.BODY(self.page.tree)
        return block_paragraphs(containers[0], self.DROP, self.BODY_END) if containers else ()

    def author(self) -> str | None:
        """The byline shown next to the time."""
        return first_text(self.page.tree, self.AUTHORS)

    def tags(self) -> tuple[str, ...]:
        """The tag links, in page order, without duplicates."""
        return unique_texts(self.TAG_LINKS(self.page.tree))


class TengrinewsV2025(TengrinewsParser):
    """The 2025 markup: `div.content_main_text`."""

    VERSION = VERSION_2025
    BODY = css("div.content_main_text")
    BODY_END = css("#comm, .content_main_text_tags")
    MARKER = BODY
    TITLES = (css("h1.head-single"), css("h1"))
    TIMES = css(".content_main_meta .date-time, span.date-time")
    AUTHORS = (css(".content_main_author"),)
    TAG_LINKS = css(".content_main_text_tags a")


class TengrinewsV2026(TengrinewsParser):
    """The 2026 markup: `div.tn-news-text` up to `.tn-news-tags`."""

    VERSION = VERSION_2026
    BODY = css("div.tn-news-text")
    BODY_END = css(".tn-news-tags")
    MARKER = BODY
    TITLES = (css("h1.tn-news-title"), css("h1"))
    TIMES = css("time.tn-news-date")
    AUTHORS = (css(".tn-news-author"),)
    TAG_LINKS = css(".tn-news-tags a")


TENGRINEWS_PARSERS = ParserFamily(versions=(TengrinewsV2025, TengrinewsV2026), default=TengrinewsV2026)
