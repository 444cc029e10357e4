"""Re-extraction: parse the archived responses of loaded articles again with the current parsers, no fetching.

Reads (through Settings): DATABASE_URL and the S3 settings. Each article row points at the WARC and offset of
the response its current version came from; those WARCs are read from S3 (one download per WARC), the pages
parsed with today's extractor and the rows loaded through `etl.store.load.load_rows`, which updates an article when
its content or extractor version changed and keeps a new `article_versions` row for new content. The crawl
run of each row is kept, so the coverage ledger is unchanged. Nothing here makes an HTTP request to a site.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from etl.core.config import Settings
from etl.steps.extract import Wanted, extract_rows
from etl.store.db import raw_connection
from etl.store.load import load_rows

log = logging.getLogger(__name__)

_TARGETS = """
SELECT a.source, a.url, a.warc_key, a.warc_offset, a.crawl_run_id
FROM articles a JOIN crawl_runs r ON r.id = a.crawl_run_id
WHERE (%(source)s::text IS NULL OR a.source = %(source)s)
  AND (%(since)s::date IS NULL OR r.partition_date >= %(since)s)
  AND (%(until)s::date IS NULL OR r.partition_date <= %(until)s)
ORDER BY a.warc_key, a.warc_offset
"""


@dataclass
class ReextractResult:
    """What a re-extraction changed."""

    warcs: int = 0
    parsed: int = 0
    updated: int = 0
    unchanged: int = 0
    new_versions: int = 0
    errors: list[str] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {"warcs": self.warcs, "parsed": self.parsed, "updated": self.updated, "unchanged": self.unchanged,
                "new_versions": self.new_versions, "errors": self.errors, "extractor_versions": self.versions}


def _targets(database_url: str, source: str | None, since: date | None,
             until: date | None) -> dict[str, dict[int, Wanted]]:
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(_TARGETS, {"source": source, "since": since, "until": until})
        found: dict[str, dict[int, Wanted]] = defaultdict(dict)
        for src, url, key, offset, run_id in cur.fetchall():
            found[key][int(offset)] = Wanted(src, url, int(run_id))
    return found


def reextract(settings: Settings, source: str | None = None, since: date | None = None,
              until: date | None = None) -> ReextractResult:
    """Re-parse every selected article from its archived response and load what changed."""
    url = settings.require_database_url()
    result = ReextractResult()
    for warc_key, wanted in _targets(url, source, since, until).items():
        result.warcs += 1
        out = extract_rows(settings, warc_key, wanted)  # the extract step's row building
        result.errors.extend(f.url for f in out.failures)
        result.parsed += len(out.rows)
        for row in out.rows:
            result.versions[row["extractor_version"]] = result.versions.get(row["extractor_version"], 0) + 1
        for offset in sorted(set(wanted) - out.seen):
            log.warning("no response at offset %d of %s (article %s)", offset, warc_key, wanted[offset].url)
            result.errors.append(wanted[offset].url)
        if out.rows:
            loaded = load_rows(url, out.rows)
            result.updated += loaded.updated
            result.unchanged += loaded.unchanged
            result.new_versions += loaded.new_versions
    log.info("re-extracted %d articles from %d WARCs: %d updated, %d new versions, %d not extractable",
             result.parsed, result.warcs, result.updated, result.new_versions, len(result.errors))
    return result
