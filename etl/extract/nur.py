"""NUR.KZ (kaz.) article parsers, one class per markup version (fundus style). Reads no settings.

`NurV2025`: title `h1.main-headline`, body `<p>` in `div.formatted-body`, time `time.datetime`, byline
`span.author-name`, tags `ul.tags a`. `NurV2026` (layout variant): title `h1.article-title`, body in
`div.article-body__content` up to `div.article-tags`, time `time.article-info__date`, byline
`span.article-info__author`. JSON-LD (headline, articleBody, datePublished with +05:00, author) is read
first by the shared chain; the body comes from the markup, then from articleBody. Markup selectors are
[guess] (see docs/sources.md). Bump a version's `VERSION` whenever its output changes.
"""

from __future__ import annotations

import re
from typing import ClassVar

from lxml.cssselect import CSSSelector

from etl.core.dates import parse_day_time
from etl.extract.base import ParserFamily, SiteParser, Stamp, block_paragraphs, css, first_text, unique_texts
from etl.transform.clean import clean_text

VERSION_2025 = "nur-2025.1"
VERSION_2026 = "nur-2026.1"


_H1 = css("h1")


class NurParser(SiteParser):
    """What both NUR.KZ markups share; subclasses set the containers."""

    BODY: ClassVar[CSSSelector]
    BODY_END: ClassVar[CSSSelector | None] = None
    TITLES: ClassVar[tuple[CSSSelector, ...]]
    TIME: ClassVar[CSSSelector]
    AUTHOR: ClassVar[CSSSelector]
    TAG_LINKS: ClassVar[CSSSelector]
    DROP = css(
        "figure, figcaption, img, picture, video, iframe, script, style, noscript, .banner-inline, "
        "[class*=banner], .read-also, [class*=share]"
    )
    TITLE_SUFFIX_RE = re.compile(r"\s*[|—–-]\s*NUR\.KZ\s*$", re.IGNORECASE)

    def title(self) -> str | None:
        """The text of the first non-empty title heading."""
        return first_text(self.page.tree, (*self.TITLES, _H1))

    def strip_title(self, title: str) -> str:
        """The title without a trailing ' — NUR.KZ'."""
        return self.TITLE_SUFFIX_RE.sub("", title)

    def published(self) -> Stamp | None:
        """The `datetime` of the article time, else its text `1 қаңтар 2026, 14:40` (local time)."""
        for element in self.TIME(self.page.tree):
            stamp = self.iso_stamp(element.get("datetime"))
            if stamp:
                return stamp
            raw = clean_text(element.text_content())
            moment = parse_day_time(raw, tz=self.tz) if raw else None
            if moment and raw:
                return Stamp(moment, raw)
        return None

    def paragraphs(self) -> tuple[str, ...]:
        """Every paragraph of the body container, in page order, without ads, figures and 'read also'."""
        containers = self.BODY(self.page.tree)
        return block_paragraphs(containers[0], self.DROP, self.BODY_END) if containers else ()

    def author(self) -> str | None:
        """The visible byline."""
        return first_text(self.page.tree, (self.AUTHOR,))

    def tags(self) -> tuple[str, ...]:
        """The tag link texts, in page order, without duplicates."""
        return unique_texts(self.TAG_LINKS(self.page.tree))


class NurV2025(NurParser):
    """The 2025 markup: `div.formatted-body`, `h1.main-headline`."""

    VERSION = VERSION_2025
    BODY = css("div.formatted-body")
    MARKER = BODY
    TITLES = (css("h1.main-headline"),)
    TIME = css("time.datetime")
    AUTHOR = css("span.author-name")
    TAG_LINKS = css("ul.tags a")


class NurV2026(NurParser):
    """The 2026 markup: `div.article-body__content` up to `div.article-tags`, `h1.article-title`."""

    VERSION = VERSION_2026
    BODY = css("div.article-body__content")
    BODY_END = css("div.article-tags")
    MARKER = BODY
    TITLES = (css("h1.article-title"),)
    TIME = css("time.article-info__date")
    AUTHOR = css("span.article-info__author")
    TAG_LINKS = css("div.article-tags a")


NUR_PARSERS = ParserFamily(versions=(NurV2025, NurV2026), default=NurV2026)
