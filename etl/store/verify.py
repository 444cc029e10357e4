"""Archive integrity: re-read WARCs from S3, check each against its recorded sha256 and every record's digests,
and check that every article row's (WARC key, offset) points at the response it was parsed from.

Reads (through Settings): S3_BUCKET and the S3 connection settings, DATABASE_URL.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.store import s3
from etl.store.db import raw_connection

log = logging.getLogger(__name__)


@dataclass
class Report:
    """What `verify` looked at and every problem it found (one line each)."""

    archives: int = 0
    records: int = 0
    articles: int = 0
    problems: list[str] = field(default_factory=list)


def _archives(database_url: str, source: str | None, since: date | None) -> list[tuple[str, str, int]]:
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT r.s3_key, r.sha256, r.size_bytes FROM raw_archives r JOIN crawl_runs c ON c.id = r.crawl_run_id "
            "WHERE (%(source)s::text IS NULL OR c.source = %(source)s) "
            "AND (%(since)s::date IS NULL OR c.partition_date >= %(since)s) ORDER BY r.id",
            {"source": source, "since": since},
        )
        return [(key, sha, int(size)) for key, sha, size in cur.fetchall()]


def _article_pointers(database_url: str, key: str) -> list[tuple[str, int, str | None, bool]]:
    """(url, offset, record id, whether the record must be for that url): current rows and earlier versions."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT url, warc_offset, warc_record_id, true FROM articles WHERE warc_key = %s "
                    "UNION SELECT a.url, v.warc_offset, NULL, false FROM article_versions v "
                    "JOIN articles a ON a.id = v.article_pk WHERE v.warc_key = %s",
                    (key, key))
        return [(url, int(offset), record_id, exact) for url, offset, record_id, exact in cur.fetchall()]


def _records(handle: IO[bytes], key: str, report: Report) -> dict[int, tuple[str, str, str]]:
    """offset -> (type, target URI, record id) of every readable record; digest problems go to the report."""
    found: dict[int, tuple[str, str, str]] = {}
    iterator = ArchiveIterator(handle, check_digests=True)
    try:
        for record in iterator:
            record.content_stream().read()
            offset = iterator.get_record_offset()
            report.records += 1
            headers = record.rec_headers
            found[offset] = (record.rec_type, headers.get_header("WARC-Target-URI") or "",
                             headers.get_header("WARC-Record-ID") or "")
            if record.digest_checker.problems:
                report.problems.append(f"{key}@{offset}: {'; '.join(record.digest_checker.problems)}")
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        report.problems.append(f"{key}: unreadable after {report.records} records: {exc}")
    return found


def verify(settings: Settings, source: str | None = None, since: date | None = None) -> Report:
    """Check every archived WARC (of a source, from a day on) and the article rows that point into it."""
    database_url = settings.require_database_url()
    client = s3.client(settings)
    report = Report()
    for key, sha256, size in _archives(database_url, source, since):
        report.archives += 1
        with tempfile.TemporaryFile() as tmp:
            try:
                client.download_fileobj(settings.s3_bucket, key, tmp)
            except Exception as exc:
                report.problems.append(f"{key}: cannot read from S3: {s3.describe_error(exc)}")
                continue
            tmp.seek(0)
            digest = hashlib.file_digest(tmp, "sha256").hexdigest()
            if (digest, tmp.tell()) != (sha256.strip(), size):
                report.problems.append(f"{key}: {tmp.tell()} bytes sha256 {digest[:12]} on S3, "
                                       f"recorded {size} bytes sha256 {sha256[:12]}")
            tmp.seek(0)
            records = _records(tmp, key, report)
        for url, offset, record_id, exact in _article_pointers(database_url, key):
            report.articles += 1
            problem = _pointer_problem(records.get(offset), url if exact else None, record_id)
            if problem:
                report.problems.append(f"{key}@{offset}: article {url}: {problem}")
    log.info("verified %d archives, %d records, %d article pointers: %d problems", report.archives,
             report.records, report.articles, len(report.problems))
    return report


def _pointer_problem(record: Any, url: str | None, record_id: str | None) -> str | None:
    if record is None:
        return "no readable record at this offset"
    rec_type, target, found_id = record
    if rec_type != "response":
        return f"the record there is a {rec_type} record"
    if url is not None and target != url:
        return f"the response there is for {target}"
    if record_id and found_id != record_id:
        return f"the record there is {found_id}, the row says {record_id}"
    return None


def require_clean(report: Report) -> None:
    """Raise a pipeline error naming the first problems when verification found any."""
    if report.problems:
        shown = "; ".join(report.problems[:3])
        more = f" (and {len(report.problems) - 3} more)" if len(report.problems) > 3 else ""
        raise PipelineError(f"verify found {len(report.problems)} problem(s): {shown}{more}")
