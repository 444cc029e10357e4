"""Tengrinews (kaz.tengrinews.kz): the RSS feed and the news sitemaps of the sitemap index. Reads no settings."""

from __future__ import annotations

import re

from etl.core.urls import ArticleUrls
from etl.extract.tengrinews import TENGRINEWS_PARSERS, VERSION_2026
from etl.sources.spec import Fact, Feed, SitemapIndex, Source

TENGRINEWS = Source(
    name="tengrinews",
    display_name="Tengrinews (Kazakh edition)",
    base_url="https://kaz.tengrinews.kz",
    language="kk",
    urls=ArticleUrls(
        ("kaz.tengrinews.kz",), re.compile(r"^https://kaz\.tengrinews\.kz/[a-z_]+/[a-z0-9-]+-(?P<id>\d{4,9})/?$")
    ),
    parser=TENGRINEWS_PARSERS,
    discovery=(
        Feed("https://kaz.tengrinews.kz/news.rss"),
        SitemapIndex("https://kaz.tengrinews.kz/kk-sitemap-index.xml", child_contains="sitemap-news"),
    ),
    unconfirmed=(
        Fact("news sitemap entries carry news:publication_date (else <lastmod> is read as the publication time) "
             "[likely]"),
        Fact("a news sitemap child's <lastmod> is its newest entry's time [likely]", discovery="sitemap-index"),
        Fact("2026 markup div.tn-news-text / h1.tn-news-title (fixture layout variant) [guess]", version=VERSION_2026),
    ),
)

SOURCES = (TENGRINEWS,)
