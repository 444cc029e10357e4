"""`newsarchive replay-archive`: browse the archive as it was, through pywb, on 127.0.0.1.

The archive's WARCs are cached from S3 into a pywb folder (one collection per source, `archive/` with the WARC
files, `indexes/index.cdxj` written from the `captures` table), then pywb's `wayback` serves it:
`http://127.0.0.1:PORT/<source>/<timestamp>/<url>` (add `id_` after the timestamp for the stored bytes as is).
pywb is an optional tool in its own environment (`make webarchive-tools`): its pinned dependencies clash with
Airflow's, so it runs as a separate process.
Reads (through Settings): DATABASE_URL, S3_BUCKET and the S3 connection settings, NEWSARCHIVE_STATE_DIR (the
cache under `replay-archive/`).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

from etl.core.config import Settings
from etl.core.errors import PipelineError, UserError
from etl.store import captures, s3
from etl.store.db import raw_connection

log = logging.getLogger(__name__)

TOOLS_VENV = ".venv-webarchive"


def find_wayback(explicit: str | None = None) -> str:
    """pywb's `wayback` command: the one given, else next to this Python, on PATH, or in ./.venv-webarchive."""
    candidates = [explicit] if explicit else [str(Path(sys.executable).parent / "wayback"), shutil.which("wayback"),
                                                str(Path(TOOLS_VENV) / "bin" / "wayback")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise UserError("pywb's `wayback` is not installed: run `make webarchive-tools` (a separate environment, "
                    f"{TOOLS_VENV}/) or pass --pywb PATH")


def _archives(database_url: str) -> list[tuple[str, int, str]]:
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT c.source, r.crawl_run_id, r.s3_key FROM raw_archives r JOIN crawl_runs c "
                    "ON c.id = r.crawl_run_id ORDER BY c.source, r.id")
        return [(source, run_id, key) for source, run_id, key in cur.fetchall()]


def prepare(settings: Settings, root: Path) -> dict[str, int]:
    """Cache every WARC into `root/collections/<source>/archive/` and write each collection's CDXJ index."""
    database_url = settings.require_database_url()
    missing = {key for _, key in captures.unindexed_archives(database_url)}
    client = s3.client(settings)
    by_source: dict[str, list[str]] = {}
    for source, run_id, key in _archives(database_url):
        if key in missing:
            captures.index_run(settings, run_id, key)
        folder = root / "collections" / source / "archive"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / PurePosixPath(key).name
        if not target.is_file():  # WARCs are write-once: a cached copy stays right
            partial = target.with_name(target.name + ".part")
            try:
                client.download_file(settings.s3_bucket, key, str(partial))
            except Exception as exc:
                raise PipelineError(f"cannot read s3://{settings.s3_bucket}/{key}: {s3.describe_error(exc)}") from exc
            partial.replace(target)
        by_source.setdefault(source, []).append(key)
    counts: dict[str, int] = {}
    for source, keys in by_source.items():
        found = captures.of_warcs(database_url, keys)
        index = root / "collections" / source / "indexes" / "index.cdxj"
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_text("".join(c.cdxj(PurePosixPath(c.warc_key).name) + "\n" for c in found), encoding="utf-8")
        counts[source] = len(found)
    (root / "config.yaml").write_text("# written by newsarchive replay-archive\nframed_replay: false\n",
                                      encoding="utf-8")
    return counts


def serve(root: Path, port: int, wayback: str) -> subprocess.Popen[bytes]:
    """Start pywb on 127.0.0.1:`port` over the prepared folder; the caller waits for or stops it."""
    return subprocess.Popen([wayback, "--bind", "127.0.0.1", "--port", str(port), "--threads", "2"], cwd=root)
