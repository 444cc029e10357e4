"""Kazinform's four editions: kaz. (Kazakh), qz. (Latin-script Kazakh), www.inform.kz/ru (Russian), en.

Each: the RSS feed and the dated lenta `?page=N&start_date=D&end_date=D`. The Russian edition's article
URLs have no trailing slash (`https://www.inform.kz/ru/<slug>-<hex>`, as its `<link rel=canonical>`).
Reads no settings.
"""

from __future__ import annotations

import re

from etl.core.urls import ArticleUrls
from etl.extract import ParserFamily
from etl.extract.kazinform import KAZINFORM_PARSERS
from etl.extract.kazinform_editions import KAZINFORM_EN_PARSERS, KAZINFORM_QZ_PARSERS, KAZINFORM_RU_PARSERS
from etl.sources.spec import DatedListing, Fact, Feed, Source

#: The time printed on a lenta card, in the markups seen so far.
CARD_TIME = "time, .allNewsCard_time, .meta-date, .card-date, .news-card__time"


def edition(name: str, display_name: str, site: str, path: str, language: str, parser: ParserFamily,
            feed: str, lenta: str, unconfirmed: tuple[Fact, ...], trailing_slash: bool = True) -> Source:
    """One Kazinform edition at `site`: articles `<host><path><slug>-<hex>`, RSS `feed`, dated lenta `lenta`."""
    host = site.removeprefix("https://").split("/")[0]
    pattern = re.compile("^" + re.escape(f"https://{host}{path}") + r"[a-z0-9-]+-(?P<id>[0-9a-f]{6,8})/?$")
    origin = f"https://{host}"
    return Source(
        name=name, display_name=display_name, base_url=site, language=language,
        urls=ArticleUrls((host,), pattern, trailing_slash), parser=parser, unconfirmed=unconfirmed,
        discovery=(
            Feed(origin + feed),
            DatedListing(origin + lenta + "?page={page}&start_date={day}&end_date={day}", card_time=CARD_TIME),
        ),
    )


KAZINFORM = edition(
    "kazinform", "Kazinform (Kazakh edition)", "https://kaz.inform.kz", "/news/", "kk", KAZINFORM_PARSERS,
    "/rss/kz.xml", "/lenta/", (Fact("date filter of /lenta/ on kaz. (seen on www.)", discovery="/lenta/"),),
)
KAZINFORM_QZ = edition(
    "kazinform_qz", "Kazinform (Latin-script Kazakh edition)", "https://qz.inform.kz", "/news/", "kk",
    KAZINFORM_QZ_PARSERS, "/rss/qz.xml", "/lenta/",
    (Fact("RSS path /rss/qz.xml [guess]", discovery="/rss/qz.xml"),
     Fact("date filter of /lenta/ on qz. (seen on www.) [likely]", discovery="/lenta/")),
)
KAZINFORM_RU = edition(
    "kazinform_ru", "Kazinform (Russian edition)", "https://www.inform.kz/ru", "/ru/", "ru", KAZINFORM_RU_PARSERS,
    "/rss/rus.xml", "/ru/lenta", (Fact("RSS path /rss/rus.xml [likely]", discovery="/rss/rus.xml"),), trailing_slash=False,
)
KAZINFORM_EN = edition(
    "kazinform_en", "Kazinform (English edition)", "https://en.inform.kz", "/news/", "en", KAZINFORM_EN_PARSERS,
    "/rss/eng.xml", "/lenta/",
    (Fact("RSS path /rss/eng.xml [likely]", discovery="/rss/eng.xml"),
     Fact("date filter of /lenta/ on en. (seen on www.) [likely]", discovery="/lenta/")),
)

SOURCES = (KAZINFORM, KAZINFORM_QZ, KAZINFORM_RU, KAZINFORM_EN)
