"""Raw archive: WARC + manifest keys in S3, write-once upload with verification, recording, reading back.

Reads (through Settings): S3_BUCKET and the S3 connection settings (see etl/store/s3.py), DATABASE_URL,
NEWSARCHIVE_MAX_PAGE_BYTES (a response payload is read, decoded and streamed, up to that many bytes: a larger
one, such as a gzip bomb, is marked `oversize` with no body instead of being held in memory).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.store import s3

log = logging.getLogger(__name__)


def raw_prefix(source: str, day: date) -> str:
    """`raw/source=<source>/date=<YYYY-MM-DD>/`."""
    return f"raw/source={source}/date={day.isoformat()}/"


def warc_key(source: str, day: date, run_key: str) -> str:
    """Deterministic S3 key of a run's WARC."""
    return f"{raw_prefix(source, day)}{run_key}.warc.gz"


def manifest_key(source: str, day: date, run_key: str) -> str:
    """Deterministic S3 key of a run's manifest."""
    return f"{raw_prefix(source, day)}{run_key}.manifest.json"


def staged_key(source: str, day: date, run_key: str) -> str:
    """S3 key of the extracted, cleaned articles of a run (JSON lines, gzipped)."""
    return f"derived/source={source}/date={day.isoformat()}/{run_key}.articles.jsonl.gz"


@dataclass(frozen=True)
class ArchivedRun:
    """A run's verified WARC and manifest in S3."""

    warc_key: str
    manifest_key: str
    sha256: str
    size: int


def upload_run(settings: Settings, warc_path: Path, manifest_path: Path, source: str, day: date,
               run_key: str) -> ArchivedRun:
    """Upload a run's WARC then its manifest, write-once, each verified by reading it back."""
    client = s3.client(settings)
    try:
        warc = s3.put_file_once(client, settings.s3_bucket, warc_key(source, day, run_key), warc_path)
        s3.put_file_once(client, settings.s3_bucket, manifest_key(source, day, run_key), manifest_path)
    except PipelineError:
        raise
    except Exception as exc:
        raise PipelineError(f"archiving {warc_path.name} to S3 failed: {s3.describe_error(exc)}") from exc
    log.info("archived s3://%s/%s (%d bytes, sha256 %s)", settings.s3_bucket, warc.key, warc.size, warc.sha256)
    return ArchivedRun(warc.key, manifest_key(source, day, run_key), warc.sha256, warc.size)


def verify(settings: Settings, archived: ArchivedRun, into: IO[bytes] | None = None) -> None:
    """Read the WARC back from S3 and check size and sha256 against what was uploaded; `into`: keep the bytes
    read there too (rewound), for whatever reads the WARC next in this step, so S3 is read once."""
    try:
        if into is None:
            stored = s3.object_sha256(s3.client(settings), settings.s3_bucket, archived.warc_key)
        else:
            s3.client(settings).download_fileobj(settings.s3_bucket, archived.warc_key, into)
            stored = _file_sha256(archived.warc_key, into)
    except Exception as exc:
        raise PipelineError(f"cannot read back s3://{settings.s3_bucket}/{archived.warc_key}: "
                            f"{s3.describe_error(exc)}") from exc
    if (stored.size, stored.sha256) != (archived.size, archived.sha256):
        raise PipelineError(f"s3://{settings.s3_bucket}/{archived.warc_key} does not match its record: "
                            f"{stored.size} bytes sha256 {stored.sha256[:12]}, expected {archived.size} bytes "
                            f"sha256 {archived.sha256[:12]}")


def _file_sha256(key: str, file: IO[bytes]) -> s3.StoredObject:
    """Size and sha256 of a downloaded object's file, rewound afterwards."""
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    for block in iter(lambda: file.read(s3.CHUNK), b""):
        digest.update(block)
        size += len(block)
    file.seek(0)
    return s3.StoredObject(key, size, digest.hexdigest())


def _read(settings: Settings, key: str) -> bytes:
    try:
        body: bytes = s3.client(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
    except Exception as exc:
        raise PipelineError(f"cannot read s3://{settings.s3_bucket}/{key}: {s3.describe_error(exc)}") from exc
    return body


def read_manifest(settings: Settings, key: str) -> dict[str, Any]:
    """Load a manifest JSON from S3."""
    data: dict[str, Any] = json.loads(_read(settings, key))
    return data


def put_staged(settings: Settings, key: str, rows: list[dict[str, Any]]) -> None:
    """Write a run's extracted rows to S3 as gzipped JSON lines (byte-identical for the same rows)."""
    payload = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode("utf-8")
    try:
        s3.client(settings).put_object(Bucket=settings.s3_bucket, Key=key, Body=gzip.compress(payload, mtime=0))
    except Exception as exc:
        raise PipelineError(f"cannot stage s3://{settings.s3_bucket}/{key}: {s3.describe_error(exc)}") from exc


def get_staged(settings: Settings, key: str) -> list[dict[str, Any]]:
    """Read back the rows `put_staged` wrote."""
    text = gzip.decompress(_read(settings, key)).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class ResponseRecord:
    """One HTTP response read back from a WARC (`oversize`: its payload was over the limit, `body` is empty)."""

    url: str
    offset: int
    record_id: str
    status: int
    fetched_at: str
    body: bytes
    content_type: str | None = None
    oversize: bool = False


def _read_payload(record: ArcWarcRecord, limit: int | None) -> tuple[bytes, bool]:
    """The decoded payload, read in a stream up to `limit` bytes: (body, False), or (b"", True) when larger."""
    stream = record.content_stream()
    if limit is None:
        return stream.read(), False
    body = stream.read(limit + 1)
    return (b"", True) if len(body) > limit else (body, False)


def _to_response(record: ArcWarcRecord, payload: tuple[bytes, bool], offset: int) -> ResponseRecord:
    status_line = record.http_headers.get_statuscode() if record.http_headers else "0"
    body, oversize = payload
    return ResponseRecord(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        offset=offset,
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        status=int(status_line or 0),
        fetched_at=record.rec_headers.get_header("WARC-Date"),
        body=body,
        content_type=record.http_headers.get_header("Content-Type") if record.http_headers else None,
        oversize=oversize,
    )


def iter_responses(settings: Settings, key: str) -> Iterator[ResponseRecord]:
    """Stream a WARC from S3 into a temporary file and yield its response records with their offsets."""
    client = s3.client(settings)
    with tempfile.TemporaryFile() as tmp:
        try:
            client.download_fileobj(settings.s3_bucket, key, tmp)
        except Exception as exc:
            raise PipelineError(f"cannot read s3://{settings.s3_bucket}/{key}: {s3.describe_error(exc)}") from exc
        tmp.seek(0)
        iterator = ArchiveIterator(tmp)
        for record in iterator:
            if record.rec_type == "response":
                # The payload is read before get_record_offset(), which skips what is left of it.
                payload = _read_payload(record, settings.max_page_bytes)
                yield _to_response(record, payload, iterator.get_record_offset())


def read_response_at(settings: Settings, key: str, offset: int) -> ResponseRecord:
    """Fetch one response record by byte offset with an S3 range request (no full download)."""
    client = s3.client(settings)
    try:
        body = client.get_object(Bucket=settings.s3_bucket, Key=key, Range=f"bytes={offset}-")["Body"]
    except Exception as exc:
        raise PipelineError(f"cannot read s3://{settings.s3_bucket}/{key}: {s3.describe_error(exc)}") from exc
    try:
        for record in ArchiveIterator(body):
            if record.rec_type == "response":
                return _to_response(record, _read_payload(record, settings.max_page_bytes), offset)
    finally:
        body.close()
    raise PipelineError(f"no response record at offset {offset} of s3://{settings.s3_bucket}/{key}")
