"""Regenerate (or, with --check, verify) the golden expectations of the parser tests.

For every `tests/golden/<source>/<id>.html.gz` with its `<id>.meta.json` (url, source, crawl_date, markup), writes
`<id>.json` (`Article.to_json()`, sorted keys, indent 2, UTF-8, trailing newline) and `<id>.corpus.txt`
(`etl.transform.corpus.to_corpus`, dated in the source's time zone). `--check` writes nothing and exits 1 on any
difference. Reads no settings.

    .venv/bin/python scripts/regenerate_golden.py [--check] [--root tests/golden]
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from etl.extract import Article
from etl.sources import extract_article, get_source
from etl.transform.corpus import to_corpus

logger = logging.getLogger("regenerate_golden")

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "tests" / "golden"
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


def render(html_path: Path) -> Golden:
    """Extract the page and render its expected JSON and corpus text."""
    meta = json.loads(sibling(html_path, ".meta.json").read_text(encoding="utf-8"))
    crawl_date = meta.get("crawl_date")
    article = extract_article(
        meta["source"],
        meta["url"],
        gzip.decompress(html_path.read_bytes()),
        fetched_at=datetime.fromisoformat(crawl_date) if crawl_date else None,
    )
    json_text = json.dumps(article.to_json(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    corpus_text = None
    if article.published_at is not None:
        corpus_text = to_corpus(article, get_source(meta["source"]).tz)
    return Golden(html_path, article, json_text, corpus_text)


def _read(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    return path.read_text(encoding="utf-8") if path.exists() else None


def _sync(path: Path, expected: str | None, check: bool) -> bool:
    """Write (or in check mode compare) one expected file; True when it was already up to date."""
    if _read(path) == expected:
        return True
    if check:
        logger.error("differs: %s", path)
    elif expected is None:
        path.unlink()
        logger.info("removed %s", path)
    else:
        path.write_text(expected, encoding="utf-8", newline="")
        logger.info("wrote %s", path)
    return False


def main(argv: list[str] | None = None) -> int:
    """Regenerate or check every golden page; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing, exit 1 on any difference")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="golden directory (default: tests/golden)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    pages = golden_pages(args.root)
    stale = 0
    for html_path in pages:
        golden = render(html_path)
        fresh = _sync(golden.json_path, golden.json_text, args.check)
        fresh = _sync(golden.corpus_path, golden.corpus_text, args.check) and fresh
        stale += not fresh
    verb = "differ" if args.check else "updated"
    logger.info("%d golden pages, %d %s", len(pages), stale, verb)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
