"""Egemen Qazaqstan (egemen.kz) article parsers, one class per markup version (fundus style). Reads no settings.

`EgemenV2025`: title `h1.responsive_title`, body `div[itemprop=articleBody]` up to
`div.top-news.social-links`, byline `div.name-auth h4`. `EgemenV2026` (the fixture's redesign that came with
the `/news/<id>` scheme): `h1.news-title`, `div.news-body` up to `div.news-share`, `div.news-author`.
Both: lines starting "Фото"/"Сурет" (photo credits) are not text; the date comes from JSON-LD
`datePublished`, else `article:published_time`. Article URLs keep the site's form (no trailing slash: the spec's URL rule), and
either URL scheme gives the same numeric article id.
"""

from __future__ import annotations

import re

from etl.extract.base import (
    ParserFamily,
    SiteParser,
    css,
)

VERSION_2025 = "egemen-2025.1"
VERSION_2026 = "egemen-2026.1"
CREDIT_RE = re.compile(r"^(?:Фото|Сурет)\b", re.IGNORECASE)


class EgemenParser(SiteParser):
    """What both Egemen markups share; subclasses set the containers."""

    DROP = css("figure, figcaption, img, picture, video, iframe, script, style, noscript, .related")
    TITLE_SUFFIX_RE = re.compile(r"\s*\|\s*Egemen(?: Qazaqstan|\.kz)?\s*$", re.IGNORECASE)

    def paragraphs(self) -> tuple[str, ...]:
        """The body paragraphs up to the share block, without photo credit lines."""
        return tuple(text for text in super().paragraphs() if not CREDIT_RE.match(text))


class EgemenV2025(EgemenParser):
    """The `/article/<id>-<slug>` markup: `div[itemprop=articleBody]`."""

    VERSION = VERSION_2025
    BODY = css("div[itemprop=articleBody]")
    BODY_END = css("div.top-news.social-links, .tags")
    MARKER = BODY
    TITLES = (css("h1.responsive_title"), css("h1"))
    AUTHORS = (css("div.name-auth h4"),)
    TAG_LINKS = css(".tags a")


class EgemenV2026(EgemenParser):
    """The `/news/<id>` markup: `div.news-body`."""

    VERSION = VERSION_2026
    BODY = css("div.news-body")
    BODY_END = css("div.news-share, .news-tags")
    MARKER = BODY
    TITLES = (css("h1.news-title"), css("h1"))
    AUTHORS = (css("div.news-author"),)
    TAG_LINKS = css(".news-tags a")


EGEMEN_PARSERS = ParserFamily(versions=(EgemenV2025, EgemenV2026), default=EgemenV2026)
