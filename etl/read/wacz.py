"""WACZ packages: one source-day of the archive as a single verifiable zip (WARCs, CDXJ index, pages list,
datapackage with sha256 digests), for a researcher to take away or for `pack_closed_days` to keep in S3.

Reads (through Settings): DATABASE_URL, S3_BUCKET and the S3 connection settings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

import etl
from etl.core.config import Settings
from etl.core.errors import PipelineError, UserError
from etl.store import captures, s3
from etl.store.db import raw_connection

log = logging.getLogger(__name__)

WACZ_VERSION = "1.1.1"


@dataclass(frozen=True)
class Package:
    """What one WACZ holds."""

    path: Path
    warcs: int
    captures: int
    pages: int


def package_key(source: str, day: date) -> str:
    """S3 key of a source-day's WACZ package."""
    return f"packages/source={source}/date={day.isoformat()}.wacz"


def _day_archives(database_url: str, source: str, day: date) -> list[tuple[int, str]]:
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT r.crawl_run_id, r.s3_key FROM raw_archives r JOIN crawl_runs c ON c.id = r.crawl_run_id "
                    "WHERE c.source = %s AND c.partition_date = %s ORDER BY r.crawl_run_id", (source, day))
        return [(run_id, key) for run_id, key in cur.fetchall()]


def _pages(database_url: str, warc_keys: list[str]) -> list[dict[str, str]]:
    """The articles parsed from these WARCs, with the capture time of the response they came from."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT a.url, a.title, c.captured_at FROM articles a JOIN captures c "
                    "ON c.warc_key = a.warc_key AND c.warc_offset = a.warc_offset "
                    "WHERE a.warc_key = ANY(%s) ORDER BY c.captured_at, a.url", (warc_keys,))
        return [{"id": hashlib.sha1(f"{url} {ts.isoformat()}".encode()).hexdigest()[:16], "url": url,
                 "ts": ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "title": title}
                for url, title, ts in cur.fetchall()]


def _resource_name(path: str) -> str:
    """A datapackage resource name (lower-case letters, digits, `-._`) for a file in the package."""
    return re.sub(r"[^-a-z0-9._]", "-", PurePosixPath(path).name.lower())


def _jsonl(items: list[dict[str, str]]) -> bytes:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode("utf-8")


def package_day(settings: Settings, source: str, day: date, out: Path) -> Package:
    """Write the WACZ of one source-day to `out` (archives lacking capture rows are indexed first)."""
    database_url = settings.require_database_url()
    archives = _day_archives(database_url, source, day)
    if not archives:
        raise UserError(f"no archived run of {source} for {day}")
    missing = {key for _, key in captures.unindexed_archives(database_url, source)}
    for run_id, key in archives:
        if key in missing:
            captures.index_run(settings, run_id, key)
    keys = [key for _, key in archives]
    found = captures.of_warcs(database_url, keys)
    index = "".join(c.cdxj(PurePosixPath(c.warc_key).name) + "\n" for c in found).encode("utf-8")
    pages = [{"format": "json-pages-1.0", "id": "pages", "title": f"{source} {day}"}, *_pages(database_url, keys)]
    resources: list[dict[str, object]] = []
    client = s3.client(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with zipfile.ZipFile(partial, "w") as archive:
        for key in keys:
            name = f"archive/{PurePosixPath(key).name}"
            with tempfile.TemporaryFile() as tmp:
                try:
                    client.download_fileobj(settings.s3_bucket, key, tmp)
                except Exception as exc:
                    raise PipelineError(f"cannot read s3://{settings.s3_bucket}/{key}: {s3.describe_error(exc)}") from exc
                size = tmp.tell()
                tmp.seek(0)
                digest = hashlib.file_digest(tmp, "sha256").hexdigest()
                tmp.seek(0)
                with archive.open(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), "w") as member:
                    for block in iter(lambda: tmp.read(1 << 20), b""):
                        member.write(block)
            resources.append({"name": _resource_name(name), "path": name, "hash": f"sha256:{digest}", "bytes": size})
        for name, data in (("indexes/index.cdxj", index), ("pages/pages.jsonl", _jsonl(pages))):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
            resources.append({"name": _resource_name(name), "path": name,
                              "hash": f"sha256:{hashlib.sha256(data).hexdigest()}", "bytes": len(data)})
        datapackage = json.dumps({
            "profile": "data-package", "wacz_version": WACZ_VERSION, "title": f"newsarchive {source} {day}",
            "description": f"Every response archived for {source} on the local day {day}",
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "software": f"newsarchive {etl.__version__}",
            "resources": resources,
        }, indent=2, ensure_ascii=False).encode("utf-8")
        archive.writestr("datapackage.json", datapackage, zipfile.ZIP_DEFLATED)
        archive.writestr("datapackage-digest.json", json.dumps(
            {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(datapackage).hexdigest()}"}),
            zipfile.ZIP_DEFLATED)
    partial.replace(out)
    log.info("wrote %s: %d WARCs, %d captures, %d pages", out, len(keys), len(found), len(pages) - 1)
    return Package(out, len(keys), len(found), len(pages) - 1)


def closed_days(database_url: str, before: date) -> list[tuple[str, date]]:
    """(source, day) pairs with archived runs, before `before`, whose package is not recorded yet."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT DISTINCT c.source, c.partition_date FROM raw_archives r JOIN crawl_runs c "
                    "ON c.id = r.crawl_run_id WHERE c.partition_date < %s ORDER BY 2, 1", (before,))
        return [(source, day) for source, day in cur.fetchall()]


def pack_closed_days(settings: Settings, before: date) -> list[str]:
    """Package every source-day before `before` into S3 (`packages/...wacz`) unless already there; the new keys."""
    client = s3.client(settings)
    written: list[str] = []
    for source, day in closed_days(settings.require_database_url(), before):
        key = package_key(source, day)
        if s3.head(client, settings.s3_bucket, key) is not None:
            continue
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "day.wacz"
            package_day(settings, source, day, path)
            s3.put_file_once(client, settings.s3_bucket, key, path)
        written.append(key)
    return written
