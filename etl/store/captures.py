"""The capture index: a CDXJ line and a `captures` row for every response record of an archived WARC.

Written when a run is archived (`<run-key>.cdxj` in S3 beside `<run-key>.warc.gz`, rows in `captures`), read by
`newsarchive show` (one ranged S3 read per capture), `wacz` and `replay-archive`.
Reads (through Settings): S3_BUCKET and the S3 connection settings, DATABASE_URL.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from surt import surt
from warcio.archiveiterator import ArchiveIterator

from etl.core.config import Settings
from etl.core.errors import PipelineError, UserError
from etl.store import s3
from etl.store.db import raw_connection
from etl.store.load import copy_value

log = logging.getLogger(__name__)

COLUMNS = ("crawl_run_id", "warc_key", "warc_offset", "warc_length", "url", "urlkey", "captured_at", "status",
           "mime", "payload_digest", "record_id")


@dataclass(frozen=True)
class Capture:
    """One archived response: where its record is and what it holds."""

    url: str
    urlkey: str
    captured_at: datetime
    status: int | None
    mime: str | None
    payload_digest: str | None
    record_id: str
    warc_key: str
    warc_offset: int
    warc_length: int

    @property
    def timestamp(self) -> str:
        """The 14-digit CDX timestamp (UTC)."""
        return self.captured_at.strftime("%Y%m%d%H%M%S")

    def cdxj(self, filename: str | None = None) -> str:
        """The CDXJ line; `filename` names the WARC (default: its S3 key)."""
        fields = {"url": self.url, "mime": self.mime or "", "status": str(self.status or ""),
                  "digest": self.payload_digest or "", "length": str(self.warc_length),
                  "offset": str(self.warc_offset), "filename": filename or self.warc_key}
        return f"{self.urlkey} {self.timestamp} {json.dumps(fields, ensure_ascii=False)}"


def cdxj_key(warc_key: str) -> str:
    """S3 key of a WARC's CDXJ index: beside it, `.warc.gz` replaced by `.cdxj`."""
    return warc_key.removesuffix(".warc.gz") + ".cdxj"


def _date(value: str) -> datetime:
    return datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)


def index_stream(stream: IO[bytes], warc_key: str) -> Iterator[Capture]:
    """Yield a Capture for every response and revisit record of a WARC stream, with offset and length."""
    iterator = ArchiveIterator(stream)
    for record in iterator:
        if record.rec_type not in ("response", "revisit"):
            continue
        # Read to the record's end before taking its offset and length; the raw (still encoded) payload in
        # blocks, never decoded: a gzip bomb's record is read at its stored size.
        while record.raw_stream.read(1 << 16):
            pass
        headers = record.rec_headers
        http = record.http_headers
        url = headers.get_header("WARC-Target-URI")
        status = http.get_statuscode() if http else None
        mime = http.get_header("Content-Type") if http else None
        yield Capture(
            url=url, urlkey=surt(url), captured_at=_date(headers.get_header("WARC-Date")),
            status=int(status) if status and status.isdigit() else None,
            mime=mime.split(";")[0].strip().lower() if mime else None,
            payload_digest=headers.get_header("WARC-Payload-Digest"), record_id=headers.get_header("WARC-Record-ID"),
            warc_key=warc_key, warc_offset=iterator.get_record_offset(), warc_length=iterator.get_record_length(),
        )


def _download(settings: Settings, key: str, into: IO[bytes]) -> None:
    try:
        s3.client(settings).download_fileobj(settings.s3_bucket, key, into)
    except Exception as exc:
        raise PipelineError(f"cannot read s3://{settings.s3_bucket}/{key}: {s3.describe_error(exc)}") from exc
    into.seek(0)


def index_run(settings: Settings, run_id: int, warc_key: str, warc: IO[bytes] | None = None) -> int:
    """Index one archived WARC: its `.cdxj` written once to S3, its rows in `captures` (idempotent); the count.
    `warc`: the WARC's bytes already read from S3 (a rewound file), else it is downloaded."""
    with tempfile.TemporaryFile() if warc is None else nullcontext(warc) as tmp:
        if warc is None:
            _download(settings, warc_key, tmp)
        found = sorted(index_stream(tmp, warc_key), key=lambda c: (c.urlkey, c.timestamp, c.warc_offset))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.cdxj"
        path.write_text("".join(c.cdxj() + "\n" for c in found), encoding="utf-8")
        try:
            s3.put_file_once(s3.client(settings), settings.s3_bucket, cdxj_key(warc_key), path)
        except PipelineError:
            raise
        except Exception as exc:
            raise PipelineError(f"cannot write the index of {warc_key}: {s3.describe_error(exc)}") from exc
    store_rows(settings.require_database_url(), run_id, found)
    log.info("indexed %d captures of %s", len(found), warc_key)
    return len(found)


def store_rows(database_url: str, run_id: int, found: Iterable[Capture]) -> None:
    """COPY the captures into a temporary table, then insert the new ones, in one transaction."""
    buffer = io.StringIO()
    for c in found:
        values = (run_id, c.warc_key, c.warc_offset, c.warc_length, c.url, c.urlkey, c.captured_at.isoformat(),
                  c.status, c.mime, c.payload_digest, c.record_id)
        buffer.write("\t".join(copy_value(v) for v in values) + "\n")
    buffer.seek(0)
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE new_captures (LIKE captures INCLUDING DEFAULTS) ON COMMIT DROP")
        cur.copy_expert(f"COPY new_captures ({', '.join(COLUMNS)}) FROM STDIN", buffer)
        cur.execute(f"INSERT INTO captures ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM new_captures "
                    "ON CONFLICT (warc_key, warc_offset) DO NOTHING")


def unindexed_archives(database_url: str, source: str | None = None) -> list[tuple[int, str]]:
    """(run id, WARC key) of archived runs without capture rows (archived before the index existed)."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT r.crawl_run_id, r.s3_key FROM raw_archives r JOIN crawl_runs c ON c.id = r.crawl_run_id "
            "WHERE (%(source)s::text IS NULL OR c.source = %(source)s) "
            "AND NOT EXISTS (SELECT 1 FROM captures x WHERE x.warc_key = r.s3_key) ORDER BY r.crawl_run_id",
            {"source": source},
        )
        return [(run_id, key) for run_id, key in cur.fetchall()]


def _capture(row: tuple[Any, ...]) -> Capture:
    return Capture(url=row[0], urlkey=row[1], captured_at=row[2], status=row[3], mime=row[4], payload_digest=row[5],
                   record_id=row[6], warc_key=row[7], warc_offset=row[8], warc_length=row[9])


_SELECT = ("SELECT url, urlkey, captured_at, status, mime, payload_digest, record_id, warc_key, warc_offset, "
           "warc_length FROM captures")


def find(database_url: str, url: str, at: datetime | None = None) -> Capture:
    """The capture of `url` closest to `at` (default: the latest); a user error when it was never captured."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            f"{_SELECT} WHERE urlkey = %(key)s ORDER BY CASE WHEN %(at)s::timestamptz IS NULL THEN 0 "
            "ELSE abs(extract(epoch FROM captured_at - %(at)s::timestamptz)) END, captured_at DESC, id DESC LIMIT 1",
            {"key": surt(url), "at": at},
        )
        row = cur.fetchone()
    if row is None:
        raise UserError(f"{url} was never captured (no row in captures)")
    return _capture(row)


def of_warcs(database_url: str, warc_keys: list[str]) -> list[Capture]:
    """Every capture in the given WARCs, in CDXJ order."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(f"{_SELECT} WHERE warc_key = ANY(%s) ORDER BY urlkey, captured_at, warc_key, warc_offset",
                    (warc_keys,))
        return [_capture(row) for row in cur.fetchall()]


@dataclass(frozen=True)
class StoredResponse:
    """A stored response as `show` prints it: the WARC headers, the HTTP status line and headers, and the raw
    record, whose decoded body `chunks()` streams (a gzip bomb is never held whole)."""

    warc_headers: list[tuple[str, str]]
    status_line: str
    http_headers: list[tuple[str, str]]
    where: str
    record: bytes

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The decoded body, `size` bytes at a time."""
        try:
            for record in ArchiveIterator(io.BytesIO(self.record)):
                stream = record.content_stream()
                while chunk := stream.read(size):
                    yield chunk
                return
        except (OSError, EOFError, ValueError, zlib.error) as exc:
            raise PipelineError(f"the record at {self.where} cannot be read: {exc}") from exc

    @property
    def body(self) -> bytes:
        """The whole decoded body (small responses only; `chunks()` for anything else)."""
        return b"".join(self.chunks())


def read(settings: Settings, capture: Capture) -> StoredResponse:
    """Fetch one capture's record with a single ranged S3 read and parse its headers."""
    last = capture.warc_offset + capture.warc_length - 1
    where = f"{capture.warc_key}@{capture.warc_offset}"
    try:
        obj = s3.client(settings).get_object(Bucket=settings.s3_bucket, Key=capture.warc_key,
                                             Range=f"bytes={capture.warc_offset}-{last}")
        data = obj["Body"].read()
    except Exception as exc:
        raise PipelineError(f"cannot read s3://{settings.s3_bucket}/{capture.warc_key}: {s3.describe_error(exc)}") from exc
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            http = record.http_headers
            return StoredResponse(list(record.rec_headers.headers), http.statusline if http else "",
                                  list(http.headers) if http else [], where, data)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise PipelineError(f"the record at {where} cannot be read: {exc}") from exc
    raise PipelineError(f"no record at {where}")
