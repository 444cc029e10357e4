"""Text-quality fields of an extracted article: boilerplate removed (recorded), language, script, normalized copy.

What `etl.steps.pipeline.extract_run` adds to every staged row (the `articles` columns of migration 0002).
Reads no settings.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from etl.core.model import Article
from etl.transform.langid import detect
from etl.transform.normalize import normalize_body, strip_boilerplate


def assess(article: Article) -> tuple[Article, dict[str, Any]]:
    """The article without boilerplate lines, and its staged text-quality fields."""
    kept, removed = strip_boilerplate(article.paragraphs)
    if removed and kept:
        article = replace(article, paragraphs=kept)
    else:
        removed = ()  # nothing removed, or nothing would be left: the body stays as published
    language = detect(article.paragraphs)
    return article, {
        "detected_language": language.language,
        "language_shares": language.shares,
        "script": language.script,
        "normalized_body": normalize_body(article.paragraphs),
        "boilerplate_removed": list(removed),
    }
