"""Apply the numbered SQL migrations in `sql/migrations/` in order, each in its own transaction, then sync
the `sources` rows from the source specs.

Reads DATABASE_URL (passed in) and NEWSARCHIVE_SOURCE_MODULES (the registered specs, `etl.sources`).
Applied versions are recorded in `schema_migrations` with a checksum; a changed, already-applied file is an
error, never re-run. The `sources` table is never written by hand: one row per registered spec is upserted.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from etl.core.errors import PipelineError, ServiceError
from etl.sources import Source, all_sources
from etl.store.db import raw_connection

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "sql" / "migrations"
_NAME_RE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
_LOCK_ID = 7_401_455_320  # advisory lock so two migrators never interleave


@dataclass(frozen=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    path: Path

    @property
    def checksum(self) -> str:
        """sha256 of the file's bytes."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migration files, ordered by version; duplicate or malformed names are errors."""
    if not directory.is_dir():
        raise PipelineError(f"migrations folder {directory} does not exist (run from a checkout of newsarchive)")
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if not match:
            raise PipelineError(f"migration file name {path.name!r} must look like 0001_name.sql")
        version = int(match["version"])
        if version in found:
            raise PipelineError(f"two migrations share version {version}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version, match["name"], path)
    if not found:
        raise PipelineError(f"no migrations found in {directory}")
    return [found[v] for v in sorted(found)]


_BOOTSTRAP = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text        NOT NULL,
    checksum    char(64)    NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


_UPSERT_SOURCE = """
INSERT INTO sources (name, display_name, base_url, language, enabled)
VALUES (%(name)s, %(display_name)s, %(base_url)s, %(language)s, %(enabled)s)
ON CONFLICT (name) DO UPDATE SET display_name = EXCLUDED.display_name, base_url = EXCLUDED.base_url,
    language = EXCLUDED.language, enabled = EXCLUDED.enabled
"""


def migrate(
    database_url: str, directory: Path = MIGRATIONS_DIR, sources: Iterable[Source] | None = None
) -> list[Migration]:
    """Apply pending migrations and sync the `sources` rows from `sources` (default: every registered spec).

    Returns the migrations applied (empty when the schema is current).
    """
    migrations = discover(directory)
    applied: list[Migration] = []
    try:
        with raw_connection(database_url) as conn:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                cur.execute(_BOOTSTRAP)
                cur.execute("SELECT version, checksum FROM schema_migrations")
                done = {int(v): c for v, c in cur.fetchall()}
            conn.commit()
            for migration in migrations:
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise PipelineError(
                            f"migration {migration.path.name} changed after it was applied; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                _apply(conn, migration)
                applied.append(migration)
            sync_sources(conn, all_sources() if sources is None else sources)
    except psycopg2.OperationalError as exc:
        raise ServiceError(f"cannot reach PostgreSQL: {str(exc).strip().splitlines()[0]}") from None
    return applied


def _apply(conn: psycopg2.extensions.connection, migration: Migration) -> None:
    log.info("applying migration %s", migration.path.name)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        try:
            cur.execute(migration.path.read_text(encoding="utf-8"))
        except psycopg2.Error as exc:
            conn.rollback()
            raise PipelineError(f"migration {migration.path.name} failed: {str(exc).strip()}") from None
        cur.execute(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
            (migration.version, migration.name, migration.checksum),
        )
    conn.commit()


def sync_sources(conn: psycopg2.extensions.connection, sources: Iterable[Source]) -> None:
    """Upsert one `sources` row per spec (name, display name, base URL, main language, enabled)."""
    rows = [
        {"name": s.name, "display_name": s.display_name, "base_url": s.base_url, "language": s.language,
         "enabled": s.enabled}
        for s in sources
    ]
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        cur.executemany(_UPSERT_SOURCE, rows)
    conn.commit()
    log.debug("synced %d sources rows", len(rows))


def status(database_url: str, directory: Path = MIGRATIONS_DIR) -> list[tuple[Migration, bool]]:
    """Each migration with whether it is applied."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        row = cur.fetchone()
        versions: set[int] = set()
        if row and row[0]:
            cur.execute("SELECT version FROM schema_migrations")
            versions = {int(v) for (v,) in cur.fetchall()}
    return [(m, m.version in versions) for m in discover(directory)]
