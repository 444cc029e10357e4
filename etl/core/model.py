"""The extracted-article record shared by parsers, the loader and exports. Reads no settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Article:
    """One article as extracted and cleaned from one archived response."""

    source: str
    article_id: str
    url: str
    canonical_url: str
    title: str
    paragraphs: tuple[str, ...]
    published_at: datetime | None = None
    published_raw: str | None = None
    modified_at: datetime | None = None
    language: str | None = None
    dateline_place: str | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    image_url: str | None = None
    extractor_version: str = ""
    methods: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> str:
        """The body as stored: paragraphs joined by newlines."""
        return "\n".join(self.paragraphs)

    @property
    def used_fallback(self) -> bool:
        """True when the body came from the generic extractor rather than the site parser."""
        return self.methods.get("body") == "generic"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with sorted, stable fields (used by golden files and staging)."""
        return {
            "article_id": self.article_id,
            "author": self.author,
            "canonical_url": self.canonical_url,
            "dateline_place": self.dateline_place,
            "extractor_version": self.extractor_version,
            "image_url": self.image_url,
            "language": self.language,
            "methods": dict(sorted(self.methods.items())),
            "modified_at": self.modified_at.isoformat() if self.modified_at else None,
            "paragraphs": list(self.paragraphs),
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "published_raw": self.published_raw,
            "source": self.source,
            "tags": list(self.tags),
            "title": self.title,
            "url": self.url,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Article:
        """Inverse of `to_json`."""
        return cls(
            source=data["source"],
            article_id=data["article_id"],
            url=data["url"],
            canonical_url=data["canonical_url"],
            title=data["title"],
            paragraphs=tuple(data["paragraphs"]),
            published_at=datetime.fromisoformat(data["published_at"]) if data.get("published_at") else None,
            published_raw=data.get("published_raw"),
            modified_at=datetime.fromisoformat(data["modified_at"]) if data.get("modified_at") else None,
            language=data.get("language"),
            dateline_place=data.get("dateline_place"),
            author=data.get("author"),
            tags=tuple(data.get("tags") or ()),
            image_url=data.get("image_url"),
            extractor_version=data.get("extractor_version", ""),
            methods=dict(data.get("methods") or {}),
        )
