"""Azattyq (RFE/RL Kazakh service) article parsers, one class per markup version. Reads no settings.

Pages carry `body.pg-article` and usually a JSON-LD NewsArticle (`author[]` of people, `datePublished` and
`dateModified` in UTC, `articleSection`, no articleBody), which the shared chain reads first.
`AzattyqV2025`: title `h1.pg-title`, body `<p>` in `#article-content .wsw`. `AzattyqV2026` (layout variant
[guess]): title `h1.article__title`, body in `div.article-text`. Both: time `.published time[datetime]`,
bylines `.authors a.links__item-link`. Article URLs end in `.html`: the spec's URL rule gives canonical URLs no trailing slash.
Bump a version's `VERSION` whenever its output changes.
"""

from __future__ import annotations

from typing import ClassVar

from lxml.cssselect import CSSSelector

from etl.extract.base import ParserFamily, SiteParser, Stamp, block_paragraphs, css, first_text
from etl.transform.clean import clean_text

VERSION_2025 = "azattyq-2025.1"
VERSION_2026 = "azattyq-2026.1"


class AzattyqParser(SiteParser):
    """What both Azattyq markups share; subclasses set the body container and title."""

    BODY: ClassVar[CSSSelector]
    TITLES: ClassVar[tuple[CSSSelector, ...]]
    H1 = css("h1")
    TIMES = css(".published time[datetime], time[datetime]")
    AUTHORS = css(".authors a.links__item-link")
    DROP = css(
        "figure, figcaption, img, picture, video, iframe, script, style, noscript, .wsw__embed, "
        "[class*=share]"
    )

    def title(self) -> str | None:
        """The text of the first non-empty title heading."""
        return first_text(self.page.tree, (*self.TITLES, self.H1))

    def published(self) -> Stamp | None:
        """The first `<time datetime>` of the article header (UTC)."""
        for element in self.TIMES(self.page.tree):
            stamp = self.iso_stamp(element.get("datetime"))
            if stamp:
                return stamp
        return None

    def paragraphs(self) -> tuple[str, ...]:
        """Every paragraph of the body container, in page order, without embeds."""
        containers = self.BODY(self.page.tree)
        return block_paragraphs(containers[0], self.DROP) if containers else ()

    def author(self) -> str | None:
        """The bylines, comma-separated, without duplicates."""
        names: list[str] = []
        for link in self.AUTHORS(self.page.tree):
            name = clean_text(link.text_content())
            if name and name not in names:
                names.append(name)
        return ", ".join(names) or None


class AzattyqV2025(AzattyqParser):
    """The 2025 markup: `#article-content .wsw`, `h1.pg-title`."""

    VERSION = VERSION_2025
    BODY = css("#article-content .wsw")
    MARKER = BODY
    TITLES = (css("h1.pg-title"),)


class AzattyqV2026(AzattyqParser):
    """The 2026 markup: `div.article-text`, `h1.article__title`."""

    VERSION = VERSION_2026
    BODY = css("div.article-text")
    MARKER = BODY
    TITLES = (css("h1.article__title"),)


AZATTYQ_PARSERS = ParserFamily(versions=(AzattyqV2025, AzattyqV2026), default=AzattyqV2026)
