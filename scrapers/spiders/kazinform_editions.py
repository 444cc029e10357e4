"""Spiders of Kazinform's other editions: qz. (Latin-script Kazakh), www.inform.kz/ru (Russian), en. (English).

Each is the kaz. spider (`KazinformSpider`: RSS + dated lenta, paginator stop rule) with the edition's
source, feed and lenta addresses. The Russian edition's article URLs have no trailing slash
(`https://www.inform.kz/ru/<slug>-<hex>`) and are requested as printed. Arguments and settings: those of
scrapers.spiders.kazinform; yields no items.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from etl.sources import KAZINFORM_EN, KAZINFORM_QZ, KAZINFORM_RU
from scrapers.spiders.kazinform import KazinformSpider

logger = logging.getLogger(__name__)


class KazinformQzSpider(KazinformSpider):
    """Archive qz.inform.kz articles published in [start, end)."""

    name = "kazinform_qz"
    source = KAZINFORM_QZ
    allowed_domains = list(KAZINFORM_QZ.hosts)
    feed_url: ClassVar[str] = "https://qz.inform.kz/rss/qz.xml"  # [guess]
    listing_base: ClassVar[str] = "https://qz.inform.kz/lenta/"


class KazinformRuSpider(KazinformSpider):
    """Archive www.inform.kz/ru articles published in [start, end)."""

    name = "kazinform_ru"
    source = KAZINFORM_RU
    allowed_domains = list(KAZINFORM_RU.hosts)
    feed_url: ClassVar[str] = "https://www.inform.kz/rss/rus.xml"  # [likely]
    listing_base: ClassVar[str] = "https://www.inform.kz/ru/lenta"

    def article_url(self, url: str) -> str | None:
        """The canonical article URL as the Russian edition prints it: no query, no trailing slash."""
        canonical = super().article_url(url)
        return canonical.rstrip("/") if canonical else None


class KazinformEnSpider(KazinformSpider):
    """Archive en.inform.kz articles published in [start, end)."""

    name = "kazinform_en"
    source = KAZINFORM_EN
    allowed_domains = list(KAZINFORM_EN.hosts)
    feed_url: ClassVar[str] = "https://en.inform.kz/rss/eng.xml"  # [likely]
    listing_base: ClassVar[str] = "https://en.inform.kz/lenta/"
