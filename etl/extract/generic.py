"""The generic step of the fallback chain: trafilatura's title and main text for any page. Reads no settings.

Used only when the JSON-LD, meta and site-selector steps found nothing, so that a redesign degrades the
output instead of emptying it. Comments are excluded and precision is favoured over recall.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from dataclasses import dataclass

import trafilatura
from lxml.html import HtmlElement

from etl.transform.clean import clean_paragraphs, clean_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GenericResult:
    """What trafilatura found: a title (may carry the site name) and body paragraphs."""

    title: str | None = None
    paragraphs: tuple[str, ...] = ()


def extract_generic(tree: HtmlElement, url: str) -> GenericResult:
    """Run trafilatura on a copy of the parsed page and return its cleaned title and paragraphs."""
    try:
        document = trafilatura.bare_extraction(
            deepcopy(tree),  # trafilatura prunes the tree it is given
            url=url,
            include_comments=False,
            favor_precision=True,
            with_metadata=True,
        )
    except Exception:  # trafilatura has no error contract; a failed fallback must not fail the page
        logger.warning("generic extraction failed for %s", url, exc_info=True)
        return GenericResult()
    if document is None:
        return GenericResult()
    fields = document if isinstance(document, dict) else {"title": document.title, "text": document.text}
    title, text = fields.get("title"), fields.get("text")
    return GenericResult(title=clean_text(title or "") or None, paragraphs=clean_paragraphs((text or "").splitlines()))

