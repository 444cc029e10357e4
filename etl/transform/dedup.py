"""Exact deduplication: the content hash that finds republished copies.

Reads no settings. The load step (etl/store/load.py) links the holders of one hash: the original is the earliest
publication (then first seen, then lowest id); every other holder points at it through `articles.duplicate_of`.
Nothing is ever deleted.
"""

from __future__ import annotations

import hashlib

from etl.core.model import Article


def content_hash(article: Article) -> str:
    """sha256 of the cleaned body (paragraphs joined by newlines): equal for exact republications."""
    return hashlib.sha256(article.body.encode("utf-8")).hexdigest()
