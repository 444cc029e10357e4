"""Golden pages: the layout of tests/golden/<source>/ and the one renderer of their expected files.

A golden page is `<id>.html.gz` (gzip, mtime 0) with `<id>.meta.json` (url, source, crawl_date: the fetch
date or time, markup: the parser version, listed_at when discovery gave a date), and the expectations
`<id>.json` (`Article.to_json()`, sorted keys, indent 2, UTF-8, trailing newline) and `<id>.corpus.txt`
(`etl.transform.corpus.to_corpus`, dated in the source's time zone; none without a date). `<id>.truth.json`
is written by a person. Used by scripts/regenerate_golden.py, the golden tests and `newsarchive capture`
(which writes pages from archived responses). Reads no settings.
"""

from __future__ import annotations

import difflib
import gzip
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from etl.core.model import Article
from etl.sources import extract_article, get_source
from etl.transform.corpus import to_corpus

HTML_SUFFIX = ".html.gz"


@dataclass(frozen=True)
class Golden:
    """The expected files of one golden page, rendered from its HTML."""

    html_path: Path
    article: Article
    json_text: str
    corpus_text: str | None

    @property
    def json_path(self) -> Path:
        """Where `<id>.json` lives."""
        return sibling(self.html_path, ".json")

    @property
    def corpus_path(self) -> Path:
        """Where `<id>.corpus.txt` lives."""
        return sibling(self.html_path, ".corpus.txt")


def sibling(html_path: Path, suffix: str) -> Path:
    """The `<id><suffix>` file next to `<id>.html.gz`."""
    return html_path.with_name(html_path.name.removesuffix(HTML_SUFFIX) + suffix)


def golden_pages(root: Path) -> list[Path]:
    """Every golden HTML page under `root`, sorted."""
    return sorted(root.glob(f"*/*{HTML_SUFFIX}"))


def dump_json(data: Any) -> str:
    """Sorted, indented UTF-8 JSON with a trailing newline (every golden JSON file)."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render(html_path: Path) -> Golden:
    """Extract the page and render its expected JSON and corpus text."""
    meta = json.loads(sibling(html_path, ".meta.json").read_text(encoding="utf-8"))
    crawl_date, listed_at = meta.get("crawl_date"), meta.get("listed_at")
    article = extract_article(
        meta["source"],
        meta["url"],
        gzip.decompress(html_path.read_bytes()),
        fetched_at=datetime.fromisoformat(crawl_date) if crawl_date else None,
        listed_at=datetime.fromisoformat(listed_at) if listed_at else None,
    )
    corpus_text = None
    if article.published_at is not None:
        corpus_text = to_corpus(article, get_source(meta["source"]).tz)
    return Golden(html_path, article, dump_json(article.to_json()), corpus_text)


def diff(path: Path, old: str | None, new: str | None) -> str:
    """A unified diff of one expected file's old and new text ('' when equal)."""
    if old == new:
        return ""
    return "".join(difflib.unified_diff((old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
                                        f"{path.name} (before)", f"{path.name} (now)"))


def write_page(root: Path, source: str, article_id: str, url: str, html: bytes, fetched_at: str, markup: str,
               listed_at: str | None = None) -> Path:
    """Write `<root>/<source>/<id>.html.gz` and its `.meta.json` (an existing page is replaced); return the HTML path."""
    html_path = root / source / f"{article_id}{HTML_SUFFIX}"
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_bytes(gzip.compress(html, mtime=0))
    meta = {"crawl_date": fetched_at, "markup": markup, "source": source, "url": url}
    if listed_at:
        meta["listed_at"] = listed_at
    sibling(html_path, ".meta.json").write_text(dump_json(meta), encoding="utf-8")
    return html_path
