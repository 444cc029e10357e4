"""NUR.KZ (kaz.nur.kz): the RSS feed, the /latest/ listing and the monthly article sitemaps. Reads no settings."""

from __future__ import annotations

import re

from etl.core.urls import ArticleUrls
from etl.extract.nur import NUR_PARSERS, VERSION_2026
from etl.sources.spec import Archive, Fact, Feed, SitemapIndex, Source

NUR = Source(
    name="nur",
    display_name="NUR.KZ (Kazakh edition)",
    base_url="https://kaz.nur.kz",
    language="kk",
    urls=ArticleUrls(("kaz.nur.kz",), re.compile(r"^https://kaz\.nur\.kz/[a-z-]+/(?P<id>\d{6,9})-[a-z0-9-]+/?$")),
    parser=NUR_PARSERS,
    discovery=(
        Feed("https://kaz.nur.kz/rss/all.rss", dated_only=True),
        Archive("https://kaz.nur.kz/latest/?page={page}", items=".article-preview", date="time::attr(datetime)",
                next_page="a.pagination__next"),
        SitemapIndex("https://kaz.nur.kz/article-index-sitemap.xml", month_in_name=True, dated_only=True),
    ),
    unconfirmed=(
        Fact("article URL /<section>/<numeric id>-<slug>/ [guess]", urls=True),
        Fact("/article-index-sitemap.xml children are monthly and their <lastmod> may be frozen [seen, possibly frozen]",
             discovery="/article-index-sitemap.xml"),
        Fact("sitemap entry <lastmod> equals the publication time for articles never edited [likely]"),
        Fact("/latest/ cards carry <time datetime> (text 'Бүгін, HH:MM') [guess]", discovery="/latest/"),
        Fact("markup div.formatted-body (2025) / div.article-body__content (2026 layout variant) [guess]",
             version=VERSION_2026),
    ),
)

SOURCES = (NUR,)
