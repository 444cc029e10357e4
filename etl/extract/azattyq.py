"""Azattyq (RFE/RL Kazakh service) article parsers, one class per markup version. Reads no settings.

Pages carry `body.pg-article` and usually a JSON-LD NewsArticle (`author[]` of people, `datePublished` and
`dateModified` in UTC, `articleSection`, no articleBody), which the shared chain reads first.
`AzattyqV2025`: title `h1.pg-title`, body `<p>` in `#article-content .wsw`. `AzattyqV2026` (layout variant
[guess]): title `h1.article__title`, body in `div.article-text`. Both: time `.published time[datetime]`,
bylines `.authors a.links__item-link`. Article URLs end in `.html`: the spec's URL rule gives canonical URLs no trailing slash.
Bump a version's `VERSION` whenever its output changes.
"""

from __future__ import annotations

from etl.extract.base import ParserFamily, SiteParser, css, unique_texts

VERSION_2025 = "azattyq-2025.1"
VERSION_2026 = "azattyq-2026.1"


class AzattyqParser(SiteParser):
    """What both Azattyq markups share; subclasses set the body container and title."""

    TIMES = css(".published time[datetime], time[datetime]")
    BYLINES = css(".authors a.links__item-link")
    DROP = css(
        "figure, figcaption, img, picture, video, iframe, script, style, noscript, .wsw__embed, "
        "[class*=share]"
    )

    def author(self) -> str | None:
        """The bylines, comma-separated, without duplicates."""
        return ", ".join(unique_texts(self.BYLINES(self.page.tree))) or None


class AzattyqV2025(AzattyqParser):
    """The 2025 markup: `#article-content .wsw`, `h1.pg-title`."""

    VERSION = VERSION_2025
    BODY = css("#article-content .wsw")
    MARKER = BODY
    TITLES = (css("h1.pg-title"), css("h1"))


class AzattyqV2026(AzattyqParser):
    """The 2026 markup: `div.article-text`, `h1.article__title`."""

    VERSION = VERSION_2026
    BODY = css("div.article-text")
    MARKER = BODY
    TITLES = (css("h1.article__title"), css("h1"))


AZATTYQ_PARSERS = ParserFamily(versions=(AzattyqV2025, AzattyqV2026), default=AzattyqV2026)
