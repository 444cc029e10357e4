"""Kazinform article parsers, one class per markup version (fundus style). Reads no settings.

`KazinformV2025`: body `<p>`/`<blockquote>` in `div.article__body-text`, title in `h1.article__title`.
`KazinformV2026`: body in `div.article__content`, which ends before `div.article__tags`, title in `h1`.
The version is chosen by which body container is on the page (the 2025 one first, as it is the more
specific); a page with neither goes to the newest version, whose chain then falls back to JSON-LD and generic
extraction. Bump a version's `VERSION` whenever its output changes.
"""

from __future__ import annotations

import re
from typing import ClassVar

from lxml.cssselect import CSSSelector

from etl.core.dates import parse_visible_time
from etl.extract.base import (
    ParserFamily,
    SiteParser,
    Stamp,
    block_paragraphs,
    css,
    first_text,
    unique_texts,
)
from etl.extract.selectors import matches, select_inside
from etl.transform.clean import clean_text

VERSION_2025 = "kazinform-2025.1"
VERSION_2026 = "kazinform-2026.1"


class KazinformParser(SiteParser):
    """What every Kazinform markup version shares; subclasses set the body container and title selectors."""

    TITLES: ClassVar[tuple[CSSSelector, ...]] = (css("h1"),)
    LEAD = css(".article__description")
    VISIBLE_TIMES = (css("div.article__time"),)
    TIME_ATTRIBUTES = css("div.article__time time[datetime]")
    TAG_BOX = css("div.article__tags")
    TAG_LINKS = css("a")
    DROP = css(
        "figure, figcaption, img, picture, video, iframe, script, style, noscript, .adfox, [id*=adfox], "
        "[class*=share], [class*=social], [class*=related], .article__description"
    )
    TITLE_SUFFIX_RE = re.compile(r"\s*\|\s*(?:Kazinform|ҚазАқпарат)\s*$", re.IGNORECASE)
    DATELINE_RE = re.compile(r"^([А-ЯЁӘҒҚҢӨҰҮҺІA-Z][А-ЯЁӘҒҚҢӨҰҮҺІA-Z -]+)\. (KAZINFORM|ҚазАқпарат)\s*[–—-]")
    DATELINE_SEARCH = 2  # the lead may come before the dateline paragraph

    def published(self) -> Stamp | None:
        """The `<time datetime>` of the article time, else its text 'HH:MM, DD <Month> YYYY | GMT +5'."""
        for element in self.TIME_ATTRIBUTES(self.page.tree):
            stamp = self.iso_stamp(element.get("datetime"))
            if stamp:
                return stamp
        raw = first_text(self.page.tree, self.VISIBLE_TIMES)
        moment = parse_visible_time(raw, self.tz) if raw else None
        return Stamp(moment, raw) if moment and raw else None

    def lead(self) -> tuple[str, ...]:
        """The lead paragraph(s) of the first `.article__description` outside ads, share and related blocks."""
        for element in self.page.select(self.LEAD):
            if any(matches(self.DROP, ancestor) for ancestor in element.iterancestors()):
                continue
            paragraphs = block_paragraphs(element, self.DROP) or (clean_text(element.text_content()),)
            if any(paragraphs):
                return tuple(paragraph for paragraph in paragraphs if paragraph)
        return ()

    def paragraphs(self) -> tuple[str, ...]:
        """The lead, then every paragraph and quote of the body container, in page order."""
        body = super().paragraphs()
        lead = self.lead()
        if lead and body and body[0] == lead[-1]:
            body = body[1:]
        return lead + body if body else ()

    def tags(self) -> tuple[str, ...]:
        """The texts of the links in the first tag box, in page order, without duplicates."""
        boxes = self.page.select(self.TAG_BOX)
        return unique_texts(select_inside(self.TAG_LINKS, boxes[0])) if boxes else ()

    def dateline_place(self, paragraphs: tuple[str, ...]) -> str | None:
        """The place of the 'АСТАНА. KAZINFORM –' dateline in the first paragraphs."""
        for paragraph in paragraphs[: self.DATELINE_SEARCH]:
            match = self.DATELINE_RE.match(paragraph)
            if match:
                return match.group(1).strip()
        return None


class KazinformV2025(KazinformParser):
    """The 2025 markup: `div.article__body-text`, `h1.article__title`."""

    VERSION = VERSION_2025
    BODY = css("div.article__body-text")
    MARKER = BODY
    TITLES = (css("h1.article__title"), css("h1"))


class KazinformV2026(KazinformParser):
    """The 2026 markup: `div.article__content` up to `div.article__tags`, `h1`."""

    VERSION = VERSION_2026
    BODY = css("div.article__content")
    BODY_END = css("div.article__tags")
    MARKER = BODY


KAZINFORM_PARSERS = ParserFamily(versions=(KazinformV2025, KazinformV2026), default=KazinformV2026)
