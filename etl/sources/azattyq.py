"""Azattyq (RFE/RL Kazakh service): the section archives /z/<id>?p=N, items dated by local day.

Items carry `DD <month> YYYY` (no time), so an item is in the interval when its day is one of the interval's
local days: intervals are whole local days. Reads no settings.
"""

from __future__ import annotations

import re

from etl.core.urls import ArticleUrls
from etl.extract.azattyq import AZATTYQ_PARSERS, VERSION_2026
from etl.sources.spec import Archive, Fact, Source


def section(number: str) -> Archive:
    """The archive of section `/z/<number>` (`?p=1`, `?p=2`, ... after the first page)."""
    url = f"https://www.azattyq.org/z/{number}"
    return Archive(url + "?p={page}", items="li.archive-list__item .media-block", date=".date ::text",
                   date_kind="day", first_page=0, first_url=url)


AZATTYQ = Source(
    name="azattyq",
    display_name="Azattyq (RFE/RL Kazakh service)",
    base_url="https://www.azattyq.org",
    language="kk",
    urls=ArticleUrls(
        ("www.azattyq.org",),
        re.compile(r"^https://www\.azattyq\.org/a/(?:[a-z0-9-]+/)?(?P<id>\d{8})\.html$"),
        trailing_slash=False,
    ),
    parser=AZATTYQ_PARSERS,
    discovery=(section("330"), section("360")),  # Kazakhstan, world [guess]
    unconfirmed=(
        Fact("section ids /z/330 (Kazakhstan) and /z/360 (world) [guess]", discovery="/z/"),
        Fact("archive item date printed as 'DD <month> YYYY' in local time [guess]", discovery="/z/"),
        Fact("/sitemap.xml [guess] (not used)"),
        Fact("2026 markup div.article__body .body-container (layout variant) [guess]", version=VERSION_2026),
    ),
)

SOURCES = (AZATTYQ,)
