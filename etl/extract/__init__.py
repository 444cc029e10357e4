"""Article extraction: per-source families of markup-version parsers behind one fallback chain.

The chain (JSON-LD -> meta tags -> site selectors -> generic trafilatura; body: selectors first) is
described in `etl.extract.base`. A source spec (`etl.sources`) names its `ParserFamily`; extraction is given
the source's facts (`Site`: name, language, URL rule, time zone) and never imports the source registry:
`etl.sources.extract_article(source_name, url, html)` is the entry point by name. Reads no settings.
"""

from __future__ import annotations

from etl.core.model import Article
from etl.extract.base import ExtractionError, Page, ParserFamily, Site, SiteParser

__all__ = ["Article", "ExtractionError", "Page", "ParserFamily", "Site", "SiteParser"]
