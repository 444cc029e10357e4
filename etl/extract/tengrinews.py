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
from datetime import datetime

from etl.core.dates import local_date, parse_day_time
from etl.extract.base import ParserFamily, SiteParser, css

VERSION_2025 = "tengrinews-2025.1"
VERSION_2026 = "tengrinews-2026.1"


class TengrinewsParser(SiteParser):
    """What both Tengrinews markups share; subclasses set the containers."""

    DROP = css(
        "figure, figcaption, img, picture, video, iframe, script, style, noscript, "
        "[class*=banner], [class*=share], [class*=social], [id*=adfox]"
    )
    TITLE_SUFFIX_RE = re.compile(r"\s*[-|–]\s*Tengrinews(?:\.kz)?\s*$", re.IGNORECASE)

    def visible_time(self, text: str) -> datetime | None:
        """'31 желтоқсан 2025, 08:15', or 'Сегодня, 08:15' relative to the fetch day."""
        fetched = self.page.fetched_at
        return parse_day_time(text, local_date(fetched, self.tz) if fetched else None, self.tz)


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
