"""Article extraction: `extract_article(source, url, html)` -> `Article`, through a per-source fallback chain.

The chain (JSON-LD -> meta tags -> site selectors -> generic trafilatura; body: selectors first) is
described in `etl.extract.base`; the parsers are registered in `etl.extract.registry`. Reads no settings.
"""

from __future__ import annotations

import logging
from datetime import datetime

from etl.core.model import Article
from etl.extract.base import ExtractionError, Page
from etl.extract.registry import get_parser
from etl.sources import get_source

__all__ = ["Article", "ExtractionError", "extract_article"]

logger = logging.getLogger(__name__)


def extract_article(source: str, url: str, html: str | bytes, *, fetched_at: datetime | None = None) -> Article:
    """Parse one fetched page of `source` into a cleaned `Article`; ExtractionError when it is not an article."""
    page = Page.load(get_source(source), url, html, fetched_at=fetched_at)
    parser = get_parser(source).pick(page)
    article = parser(page).parse()
    logger.debug("extracted %s with %s (%s)", url, article.extractor_version, article.methods)
    return article
