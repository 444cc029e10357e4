"""Golden pages from archived responses: what `newsarchive capture` writes for a person to review and commit.

Every 200 response of an article URL of the source in a WARC (its manifest, when there is one, gives the
date discovery saw for the URL) becomes a golden page in the layout of tests/golden/ (`etl.read.golden`), with
its expected JSON and corpus text rendered by the current parsers; a page already there is replaced and the
diff of its expectations is reported. Truth files stay a person's job. Reads (through Settings): the S3 settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.extract import ExtractionError
from etl.read.golden import diff, render, write_page
from etl.sources import Source
from etl.store import archive

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Captured:
    """One page written (its HTML path and the diff of its expectations) or skipped (why)."""

    url: str
    path: Path | None = None
    diff: str = ""
    skipped: str = ""


def _listed(settings: Settings, warc_key: str) -> dict[str, str]:
    """URL -> `listed_at` from the WARC's manifest (`<run>.manifest.json` beside it), when it has one."""
    key = warc_key.removesuffix(".warc.gz") + ".manifest.json"
    try:
        manifest = archive.read_manifest(settings, key)
    except PipelineError:
        log.info("no manifest %s: pages are captured without discovery dates", key)
        return {}
    return {r["url"]: r["listed_at"] for r in manifest.get("records", []) if r.get("listed_at")}


def _write(root: Path, source: Source, url: str, body: bytes, fetched_at: str, listed_at: str | None) -> Captured:
    """Write one golden page and its expectations; the diff against the expectations it replaces."""
    article_id = source.article_id(url) or ""
    try:
        markup = type(source.parser.parser(source, url, body)).VERSION
    except ExtractionError as exc:
        return Captured(url, skipped=str(exc))
    html_path = write_page(root, source.name, article_id, url, body, fetched_at, markup, listed_at)
    try:
        golden = render(html_path)
    except ExtractionError as exc:
        for written in html_path.parent.glob(html_path.name.removesuffix(".html.gz") + ".*"):
            written.unlink()
        return Captured(url, skipped=str(exc))
    changes = []
    for path, text in ((golden.json_path, golden.json_text), (golden.corpus_path, golden.corpus_text)):
        old = path.read_text(encoding="utf-8") if path.exists() else None
        changes.append(diff(path, old, text) if old is not None else "")
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text, encoding="utf-8", newline="")
    return Captured(url, html_path, "".join(changes))


def capture_warc(settings: Settings, source: Source, warc_key: str, root: Path) -> list[Captured]:
    """Turn the article responses of `source` in the WARC at `warc_key` into golden pages under `root`."""
    listed = _listed(settings, warc_key)
    out = []
    for record in archive.iter_responses(settings, warc_key):
        if record.status != 200 or not source.is_article_url(record.url) or not source.article_id(record.url):
            continue
        out.append(_write(root, source, record.url, record.body, record.fetched_at, listed.get(record.url)))
    log.info("captured %d pages of %s from %s", sum(1 for c in out if c.path), source.name, warc_key)
    return out

