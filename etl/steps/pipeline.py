"""The pipeline steps, one function each: crawl -> archive -> extract (clean) -> load -> dedup -> summary.

Airflow tasks and `newsarchive ingest` call exactly these. Steps hand each other a run id only; everything
else is in PostgreSQL (`crawl_runs`, `raw_archives`) and S3 (raw WARC, manifest, staged articles), so each
step can run on a different worker and be retried on its own.
Reads (through Settings): DATABASE_URL, the S3 settings, NEWSARCHIVE_STATE_DIR (local crawl work files),
NEWSARCHIVE_TIMEZONE (the local day), NEWSARCHIVE_HOST_OVERRIDES and the crawl settings (passed to Scrapy).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import shutil
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.core.model import Article
from etl.sources import get_source
from etl.store import archive, coverage, runs, s3
from etl.store.load import load_rows
from etl.transform.dedup import content_hash

log = logging.getLogger(__name__)


def day_interval(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day [00:00, next day 00:00) in `tz` as aware datetimes."""
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return start, end


def crawl(settings: Settings, source_name: str, day: date, *, refetch: bool = False, trigger: str = "cli",
          airflow_run_id: str | None = None) -> int:
    """Crawl one source for one local day in a fresh Scrapy process, upload the WARC + manifest; return run id."""
    from scrapers.run import run_crawl

    source = get_source(source_name)
    database_url = settings.require_database_url()
    start, end = day_interval(day, settings.timezone)
    run = runs.create_run(database_url, source.name, day, start, end, refetch=refetch, trigger=trigger,
                          airflow_run_id=airflow_run_id)
    work_dir = settings.state_dir / "work" / run.run_key
    try:
        known = [] if refetch else runs.known_article_ids(database_url, source.name)
        work_dir.mkdir(parents=True, exist_ok=True)
        output = run_crawl(source, start, end, work_dir, run.run_key, settings, known_ids=known, refetch=refetch)
        uploaded = archive.upload_run(settings, output.warc_path, output.manifest_path, source.name, day,
                                      run.run_key)
        runs.update_run(database_url, run.id, status="crawled", counts={
            **output.counts, "warc_key": uploaded.warc_key, "manifest_key": uploaded.manifest_key,
            "warc_sha256": uploaded.sha256, "warc_size": uploaded.size,
        })
    except Exception as exc:
        runs.fail_run(database_url, run.id, f"crawl: {exc}")
        if isinstance(exc, PipelineError):
            raise
        raise PipelineError(f"crawl of {source.name} for {day} failed: {exc}") from exc
    shutil.rmtree(work_dir, ignore_errors=True)
    return run.id


def archive_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Verify the run's WARC in S3 (size, sha256) and record it in `raw_archives`."""
    database_url = settings.require_database_url()
    run = runs.get_run(database_url, run_id)
    counts = run.counts
    if "warc_key" not in counts:
        raise PipelineError(f"run {run.run_key} has no uploaded WARC (status {run.status}); re-run the crawl")
    uploaded = archive.ArchivedRun(counts["warc_key"], counts["manifest_key"], counts["warc_sha256"],
                                   int(counts["warc_size"]))
    try:
        archive.verify(settings, uploaded)
        manifest = archive.read_manifest(settings, uploaded.manifest_key)
        records = manifest.get("records", [])
        responses = sum(1 for r in records if r.get("warc_offset") is not None)
        runs.record_archive(database_url, run.id, uploaded.warc_key, uploaded.manifest_key, uploaded.sha256,
                            uploaded.size, len(records), responses)
    except Exception as exc:
        runs.fail_run(database_url, run.id, f"archive: {exc}")
        raise
    return {"run_id": run.id, "warc_key": uploaded.warc_key, "size": uploaded.size, "responses": responses}


def _article_offsets(manifest: dict[str, Any]) -> dict[int, str]:
    return {
        int(r["warc_offset"]): r["url"]
        for r in manifest.get("records", [])
        if r.get("kind") == "article" and r.get("outcome") == "ok" and r.get("status") == 200
        and r.get("warc_offset") is not None  # a 301 to the article is "ok" too, but has no page to parse
    }


def staged_row(article: Article, record: archive.ResponseRecord, warc_key: str, run_id: int) -> dict[str, Any]:
    """The staged (JSON line) form of one extracted article; `etl.steps.reextract` builds its rows with it too."""
    from etl.transform.quality import assess

    article, quality = assess(article)  # boilerplate lines leave the body (recorded), language, normalized copy
    return {
        **article.to_json(), "body": article.body, "content_hash": content_hash(article),
        "warc_key": warc_key, "warc_offset": record.offset, "warc_record_id": record.record_id,
        "fetched_at": record.fetched_at, "crawl_run_id": run_id, "extraction": article.methods, **quality,
    }


def extract_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Parse every archived article response of the run, clean it, hash it and stage it in S3 as JSON lines."""
    from etl.extract import ExtractionError
    from etl.sources import extract_article

    database_url = settings.require_database_url()
    run = runs.get_run(database_url, run_id)
    located = runs.archive_of(database_url, run.id)
    if located is None:
        raise PipelineError(f"run {run.run_key} is not archived yet; run the archive step first")
    warc_key, manifest_key, _, _ = located
    try:
        wanted = _article_offsets(archive.read_manifest(settings, manifest_key))
        rows: list[dict[str, Any]] = []
        failures: list[str] = []
        for record in archive.iter_responses(settings, warc_key):
            if record.offset not in wanted:
                continue
            try:
                article = extract_article(run.source, wanted[record.offset], record.body,
                                          fetched_at=datetime.fromisoformat(record.fetched_at))
            except ExtractionError as exc:
                log.warning("not extracted: %s", exc)
                failures.append(wanted[record.offset])
                continue
            rows.append(staged_row(article, record, warc_key, run.id))
        if failures and not rows:
            raise PipelineError(
                f"none of the {len(failures)} archived article pages of run {run.run_key} could be extracted "
                f"(first: {failures[0]}); the layout may have changed. Fix the parser, then retry this step"
            )
        key = archive.staged_key(run.source, run.partition_date, run.run_key)
        _put_jsonl(settings, key, rows)
        counts = {
            "extracted": len(rows), "extract_errors": len(failures), "extract_failures": failures,
            "fallback_used": sum(1 for r in rows if r["extraction"].get("body") == "generic"),
            "staged_key": key, "missing_responses": len(wanted) - len(rows) - len(failures),
        }
        runs.update_run(database_url, run.id, status="extracted", counts=counts)
    except Exception as exc:
        runs.fail_run(database_url, run.id, f"extract: {exc}")
        raise
    return {"run_id": run.id, "staged_key": key, "extracted": len(rows), "extract_errors": len(failures)}


def _put_jsonl(settings: Settings, key: str, rows: list[dict[str, Any]]) -> None:
    payload = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode("utf-8")
    data = gzip.compress(payload, mtime=0)
    try:
        s3.client(settings).put_object(Bucket=settings.s3_bucket, Key=key, Body=data)
    except Exception as exc:
        raise PipelineError(f"cannot stage s3://{settings.s3_bucket}/{key}: {s3.describe_error(exc)}") from exc


def _get_jsonl(settings: Settings, key: str) -> list[dict[str, Any]]:
    try:
        body = s3.client(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
    except Exception as exc:
        raise PipelineError(f"cannot read s3://{settings.s3_bucket}/{key}: {s3.describe_error(exc)}") from exc
    with gzip.open(io.BytesIO(body), "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Load the run's staged articles into PostgreSQL in one transaction."""
    database_url = settings.require_database_url()
    run = runs.get_run(database_url, run_id)
    key = run.counts.get("staged_key")
    if not key:
        raise PipelineError(f"run {run.run_key} has no staged articles yet; run the extract step first")
    if run.status == "loaded":
        # Loading again would change no article; keep the counts of the load that did the work.
        log.info("run %s is already loaded; nothing to do", run.run_key)
        return {"run_id": run.id, **{k: v for k, v in run.counts.items() if isinstance(v, int)}}
    try:
        result = load_rows(database_url, _get_jsonl(settings, key), run_id=run.id)
    except Exception as exc:
        runs.fail_run(database_url, run.id, f"load: {exc}")
        raise
    return {"run_id": run.id, **result.as_counts()}


def dedup_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Link the run's new or changed articles to near-duplicates anywhere in the archive (etl/store/neardup_link.py)."""
    from etl.store.db import raw_connection
    from etl.store.neardup_link import link_near_duplicates

    database_url = settings.require_database_url()
    run = runs.get_run(database_url, run_id)
    if run.status != "loaded":
        raise PipelineError(f"run {run.run_key} is not loaded yet (status {run.status}); run the load step first")
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM articles WHERE crawl_run_id = %s ORDER BY id", (run.id,))
        result = link_near_duplicates(cur, [pk for (pk,) in cur.fetchall()])
    runs.update_run(database_url, run.id, counts=result.as_counts())
    return {"run_id": run.id, **result.as_counts()}


def summarize(settings: Settings, run_id: int) -> dict[str, Any]:
    """The run's counts and keys, as the DAG's summary task and the CLI print them."""
    run = runs.get_run(settings.require_database_url(), run_id)
    keep = ("discovered", "fetched", "skipped_known", "out_of_interval", "blocked", "failed", "non_article",
            "extracted", "extract_errors", "fallback_used", "loaded_new", "loaded_updated", "unchanged",
            "duplicates", "new_versions", "near_duplicates", "warc_key", "manifest_key", "staged_key")
    summary = {name: run.counts[name] for name in keep if name in run.counts}
    summary.update(run_id=run.id, run_key=run.run_key, source=run.source, date=run.partition_date.isoformat(),
                   status=run.status)
    coverage.refresh_day(settings.require_database_url(), run.source, run.partition_date)  # the ledger row
    log.info("run %s: %s", run.run_key, json.dumps(summary, ensure_ascii=False, sort_keys=True))
    return summary


def ingest_day(settings: Settings, source_name: str, day: date, *, refetch: bool = False,
               trigger: str = "cli") -> dict[str, Any]:
    """Run every step for one source and day, in order, in this process (what the DAG does per source)."""
    run_id = crawl(settings, source_name, day, refetch=refetch, trigger=trigger)
    archive_run(settings, run_id)
    extract_run(settings, run_id)
    load_run(settings, run_id)
    dedup_run(settings, run_id)
    return summarize(settings, run_id)
