"""Egemen Qazaqstan (egemen.kz): the RSS feed and /sitemap.xml. Article URLs have no trailing slash; both
schemes, `/article/<id>-<slug>` and the planned `/news/<id>` (301s), give the same numeric id, and the
spider fetches an id once. Reads no settings."""

from __future__ import annotations

import re

from etl.core.urls import ArticleUrls
from etl.extract.egemen import EGEMEN_PARSERS, VERSION_2026
from etl.sources.spec import Fact, Feed, Sitemap, Source

EGEMEN = Source(
    name="egemen",
    display_name="Egemen Qazaqstan",
    base_url="https://egemen.kz",
    language="kk",
    urls=ArticleUrls(
        ("egemen.kz",),
        re.compile(r"^https://egemen\.kz/(?=article/\d+-[a-z0-9-]+/?$|news/\d+/?$)(?:article|news)/(?P<id>\d+)"),
        trailing_slash=False,
    ),
    parser=EGEMEN_PARSERS,
    discovery=(Feed("https://egemen.kz/rss"), Sitemap("https://egemen.kz/sitemap.xml")),
    unconfirmed=(
        Fact("/news/<id> scheme with 301s from /article/<id>-<slug> (planned for 2026) [likely]"),
        Fact("sitemap <lastmod> equals the publication time for articles never edited [likely]"),
        Fact("2026 markup div.news-body / h1.news-title (fixture layout variant) [guess]", version=VERSION_2026),
    ),
)

SOURCES = (EGEMEN,)
