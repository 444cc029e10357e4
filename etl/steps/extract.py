"""The extract step: parse a run's archived article responses, clean and hash them, stage them in S3.

Reads (through Settings): DATABASE_URL and the S3 settings. `extract_rows` (the row building) is shared with
`etl.steps.reextract`, which parses archived responses of loaded articles again. Each article is isolated: a
page that cannot be extracted (not an article, or any error its parsing raises) is a failed item of the run
(`run_failures`, etl/store/failures.py) and the others go on; the step fails only when no page could be.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.store import archive, failures, runs
from etl.store.failures import Failure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wanted:
    """An archived response to parse: its source, its URL and the crawl run its row belongs to."""

    source: str
    url: str
    run_id: int
    listed_at: datetime | None = None  # the manifest's `listed_at`: the date discovery gave for the URL


@dataclass
class Extracted:
    """The staged rows of one WARC, the URLs that could not be extracted and the offsets found."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)


def _reason(exc: Exception) -> str:
    """One line saying why a page could not be extracted."""
    from etl.extract import ExtractionError

    text = " ".join(str(exc).split()) or "no message"
    return text if isinstance(exc, ExtractionError) else f"{type(exc).__name__}: {text}"


def extract_rows(settings: Settings, warc_key: str, wanted: Mapping[int, Wanted]) -> Extracted:
    """Parse the wanted responses (by offset) of one WARC into staged rows (JSON-ready, what `load` takes)."""
    from etl.extract import ExtractionError
    from etl.sources import extract_article
    from etl.transform.dedup import content_hash
    from etl.transform.quality import assess

    out = Extracted()
    for record in archive.iter_responses(settings, warc_key):
        target = wanted.get(record.offset)
        if target is None:
            continue
        out.seen.add(record.offset)
        if record.oversize:
            out.failures.append(Failure(target.url, f"payload over {settings.max_page_bytes} bytes "
                                        "(NEWSARCHIVE_MAX_PAGE_BYTES)", warc_key, record.offset))
            continue
        try:  # one bad page is a failed item, never the whole run's failure
            article = extract_article(target.source, target.url, record.body, content_type=record.content_type,
                                      fetched_at=datetime.fromisoformat(record.fetched_at), listed_at=target.listed_at)
            article, quality = assess(article)  # boilerplate lines leave the body (recorded), language, normalized
            row = {
                **article.to_json(), "body": article.body, "content_hash": content_hash(article),
                "warc_key": warc_key, "warc_offset": record.offset, "warc_record_id": record.record_id,
                "fetched_at": record.fetched_at, "crawl_run_id": target.run_id, "extraction": article.methods,
                **quality,
            }
            json.dumps(row, ensure_ascii=False).encode("utf-8")  # what staging does: fails here, not for the run
        except Exception as exc:
            level = logging.INFO if isinstance(exc, ExtractionError) else logging.WARNING
            log.log(level, "not extracted: %s: %s", target.url, _reason(exc))
            out.failures.append(Failure(target.url, _reason(exc), warc_key, record.offset))
            continue
        out.rows.append(row)
    return out


def _dropped(manifest: dict[str, Any], warc_key: str) -> list[Failure]:
    """Article responses the crawl dropped as too large (scrapers/size.py): failed items of the run."""
    return [Failure(r["url"], r.get("error") or "too large", warc_key, r.get("warc_offset"))
            for r in manifest.get("records", []) if r.get("kind") == "article" and r.get("outcome") == "too_large"]


def _article_offsets(manifest: dict[str, Any], source: str, run_id: int) -> dict[int, Wanted]:
    return {
        int(r["warc_offset"]): Wanted(source, r["url"], run_id,
                                      datetime.fromisoformat(r["listed_at"]) if r.get("listed_at") else None)
        for r in manifest.get("records", [])
        if r.get("kind") == "article" and r.get("outcome") == "ok" and r.get("status") == 200
        and r.get("warc_offset") is not None  # a 301 to the article is "ok" too, but has no page to parse
    }


def extract_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Parse every archived article response of the run, clean it, hash it and stage it in S3 as JSON lines."""
    database_url = settings.require_database_url()
    run = runs.get_run(database_url, run_id)
    located = runs.archive_of(database_url, run.id)
    if located is None:
        raise PipelineError(f"run {run.run_key} is not archived yet; run the archive step first")
    warc_key, manifest_key, _, _ = located
    manifest = archive.read_manifest(settings, manifest_key)
    wanted = _article_offsets(manifest, run.source, run.id)
    out = extract_rows(settings, warc_key, wanted)
    out.failures.extend(_dropped(manifest, warc_key))
    if out.failures and not out.rows:
        first = out.failures[0]
        raise PipelineError(
            f"none of the {len(out.failures)} archived article pages of run {run.run_key} could be extracted "
            f"(first: {first.url}: {first.reason}); the layout may have changed. Fix the parser, then retry "
            "this step"
        )
    key = archive.staged_key(run.source, run.partition_date, run.run_key)
    archive.put_staged(settings, key, out.rows)
    failures.record_failures(database_url, run.id, "extract", out.failures)
    counts = {
        "extracted": len(out.rows), "extract_failures": [f.url for f in out.failures],
        "fallback_used": sum(1 for r in out.rows if r["extraction"].get("body") == "generic"),
        "truncated_html": sum(1 for r in out.rows if r["extraction"].get("html") == "truncated"),
        "staged_key": key, "missing_responses": len(wanted) - len(out.seen),
    }
    runs.update_run(database_url, run.id, counts=counts)
    return {"run_id": run.id, "staged_key": key, "extracted": len(out.rows), "extract_errors": len(out.failures)}
