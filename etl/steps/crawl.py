"""The raw steps: crawl a run's interval in a Scrapy process (WARC + manifest to S3), then archive it (read the
WARC back once: verify size and sha256, record it in `raw_archives`, index its captures from the same bytes).

Reads (through Settings): NEWSARCHIVE_STATE_DIR (local crawl work files), NEWSARCHIVE_TIMEZONE (the local day),
DATABASE_URL, the S3 settings, NEWSARCHIVE_HOST_OVERRIDES and the crawl settings (passed to Scrapy).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.sources import get_source
from etl.store import archive, captures, runs

#: Manifest kinds of the pages that discover a day's articles; one of them blocked makes the day incomplete.
DISCOVERY_KINDS = frozenset({"feed", "listing", "sitemap"})


def day_interval(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day [00:00, next day 00:00) in `tz` as aware datetimes."""
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return start, end


def nothing_answered(records: Sequence[dict[str, Any]]) -> str | None:
    """Why a crawl fetched nothing at all (every request unanswered, blocked or refused), or None.

    One answered feed, listing or article page (even a day whose articles were all archived before) is enough;
    an answered robots.txt is not (a site that blocks every page may still serve it).
    """
    records = [r for r in records if r.get("kind") != "robots"] or records
    if not records or any(r.get("outcome") in ("ok", "not_article") for r in records):
        return None
    unanswered = [r for r in records if not r.get("status")]
    if len(unanswered) == len(records):
        return (f"none of {len(records)} requests got an answer (network unreachable or host down?); "
                f"first error: {records[0].get('error') or 'no response'}")
    statuses = Counter(int(r.get("status") or 0) for r in records)
    shown = ", ".join(f"{count} x {'no answer' if status == 0 else f'HTTP {status}'}"
                      for status, count in sorted(statuses.items()))
    if all(r.get("outcome") == "blocked" or not r.get("status") for r in records):
        return f"every request was blocked or unanswered ({shown})"
    return f"no request succeeded ({shown})"


def crawl_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Crawl the run's source over its interval (already archived articles skipped unless refetching)."""
    from scrapers.run import run_crawl

    database_url = settings.require_database_url()
    run = runs.get_run(database_url, run_id)
    source = get_source(run.source)
    work_dir = settings.state_dir / "work" / run.run_key
    known = [] if run.refetch else runs.known_article_ids(database_url, source.name)
    work_dir.mkdir(parents=True, exist_ok=True)
    start, end = (moment.astimezone(settings.timezone) for moment in (run.interval_start, run.interval_end))
    try:  # the work folder goes either way: a failed crawl is never resumed from it, a new run crawls again
        output = run_crawl(source, start, end, work_dir, run.run_key, settings, known_ids=known,
                           refetch=run.refetch)
        records = json.loads(output.manifest_path.read_text(encoding="utf-8")).get("records", [])
        cause = nothing_answered(records)
        if cause is not None:  # not a day without news: the site was never reached (no WARC worth keeping)
            raise PipelineError(f"nothing fetched: {cause}")
        uploaded = archive.upload_run(settings, output.warc_path, output.manifest_path, source.name,
                                      run.partition_date, run.run_key)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    blocked_discovery = sum(1 for r in records if r.get("kind") in DISCOVERY_KINDS and r.get("outcome") == "blocked")
    counts = {**output.counts, "discovery_blocked": blocked_discovery, "warc_key": uploaded.warc_key,
              "manifest_key": uploaded.manifest_key, "warc_sha256": uploaded.sha256, "warc_size": uploaded.size}
    runs.update_run(database_url, run.id, counts=counts)
    return {"run_id": run.id, "fetched": output.counts.get("fetched", 0), "warc_key": uploaded.warc_key}


def archive_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Read the run's uploaded WARC back, check it against its record and insert its `raw_archives` row."""
    database_url = settings.require_database_url()
    run = runs.get_run(database_url, run_id)
    counts = run.counts
    if "warc_key" not in counts:
        raise PipelineError(f"run {run.run_key} has no uploaded WARC; run the crawl again")
    uploaded = archive.ArchivedRun(counts["warc_key"], counts["manifest_key"], counts["warc_sha256"],
                                   int(counts["warc_size"]))
    with tempfile.TemporaryFile() as warc:  # read from S3 once: verified, then indexed from the same bytes
        archive.verify(settings, uploaded, into=warc)
        records = archive.read_manifest(settings, uploaded.manifest_key).get("records", [])
        responses = sum(1 for r in records if r.get("warc_offset") is not None)
        runs.record_archive(database_url, run.id, uploaded.warc_key, uploaded.manifest_key, uploaded.sha256,
                            uploaded.size, len(records), responses)
        captured = captures.index_run(settings, run.id, uploaded.warc_key, warc)  # the CDXJ index: S3, `captures`
    return {"run_id": run.id, "warc_key": uploaded.warc_key, "size": uploaded.size, "responses": responses,
            "captures": captured}
