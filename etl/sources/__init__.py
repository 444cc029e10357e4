"""The news sources: one declarative spec per outlet edition (`etl.sources.spec`), one module per outlet or
family, and the registry. Reads NEWSARCHIVE_SOURCE_MODULES (see `etl.sources.registry`)."""

from __future__ import annotations

from etl.sources.azattyq import AZATTYQ
from etl.sources.egemen import EGEMEN
from etl.sources.kazinform import KAZINFORM, KAZINFORM_EN, KAZINFORM_QZ, KAZINFORM_RU
from etl.sources.nur import NUR
from etl.sources.registry import (
    SOURCES,
    all_sources,
    enabled_sources,
    extract_article,
    get_source,
    register,
    register_modules,
)
from etl.sources.spec import Archive, DatedListing, Fact, Feed, Sitemap, SitemapIndex, Source, discovery_label
from etl.sources.tengrinews import TENGRINEWS

__all__ = [
    "AZATTYQ", "EGEMEN", "KAZINFORM", "KAZINFORM_EN", "KAZINFORM_QZ", "KAZINFORM_RU", "NUR", "SOURCES", "TENGRINEWS",
    "Archive", "DatedListing", "Fact", "Feed", "Sitemap", "SitemapIndex", "Source", "all_sources", "discovery_label", "enabled_sources",
    "extract_article", "get_source", "register", "register_modules",
]
