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
from datetime import datetime

from etl.core.dates import parse_day_time
from etl.extract.base import ParserFamily, SiteParser, css

VERSION_2025 = "nur-2025.1"
VERSION_2026 = "nur-2026.1"


_H1 = css("h1")


class NurParser(SiteParser):
    """What both NUR.KZ markups share; subclasses set the containers."""

    DROP = css(
        "figure, figcaption, img, picture, video, iframe, script, style, noscript, .banner-inline, "
        "[class*=banner], .read-also, [class*=share]"
    )
    TITLE_SUFFIX_RE = re.compile(r"\s*[|—–-]\s*NUR\.KZ\s*$", re.IGNORECASE)

    def visible_time(self, text: str) -> datetime | None:
        """`1 қаңтар 2026, 14:40` (local time)."""
        return parse_day_time(text, None, self.tz)


class NurV2025(NurParser):
    """The 2025 markup: `div.formatted-body`, `h1.main-headline`."""

    VERSION = VERSION_2025
    BODY = css("div.formatted-body")
    MARKER = BODY
    TITLES = (css("h1.main-headline"), _H1)
    TIMES = css("time.datetime")
    AUTHORS = (css("span.author-name"),)
    TAG_LINKS = css("ul.tags a")


class NurV2026(NurParser):
    """The 2026 markup: `div.article-body__content` up to `div.article-tags`, `h1.article-title`."""

    VERSION = VERSION_2026
    BODY = css("div.article-body__content")
    BODY_END = css("div.article-tags")
    MARKER = BODY
    TITLES = (css("h1.article-title"), _H1)
    TIMES = css("time.article-info__date")
    AUTHORS = (css("span.article-info__author"),)
    TAG_LINKS = css("div.article-tags a")


NUR_PARSERS = ParserFamily(versions=(NurV2025, NurV2026), default=NurV2026)
