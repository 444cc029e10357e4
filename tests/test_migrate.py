"""Migrations apply in order on an empty database, are recorded, and are a no-op the second time."""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from ops_support import other_database
from psycopg2 import sql

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.sources import SOURCES
from etl.store.migrate import MIGRATIONS_DIR, discover, migrate, status

pytestmark = pytest.mark.integration


@pytest.fixture
def empty_db(embedded: Settings) -> Iterator[str]:
    url = embedded.require_database_url()
    admin_url = other_database(url, "postgres")
    name = f"mig_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield other_database(url, name)
    finally:
        from etl.store.db import engine

        engine.cache_clear()
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.close()


def test_apply_then_noop(empty_db: str) -> None:
    first = migrate(empty_db)
    assert [m.version for m in first] == [m.version for m in discover()]
    assert migrate(empty_db) == []
    assert all(applied for _, applied in status(empty_db))
    with psycopg2.connect(empty_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT version, length(checksum) FROM schema_migrations ORDER BY version")
        assert cur.fetchall() == [(m.version, 64) for m in discover()]


def test_changed_migration_is_refused(empty_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    migrate(empty_db, folder)
    first = sorted(folder.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with pytest.raises(PipelineError, match="changed after it was applied"):
        migrate(empty_db, folder)


def test_failed_migration_rolls_back(empty_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "9999_broken.sql").write_text("CREATE TABLE half_done (id int);\nSELECT no_such_function();\n")
    with pytest.raises(PipelineError, match="9999_broken.sql failed"):
        migrate(empty_db, folder)
    with psycopg2.connect(empty_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('half_done'), (SELECT count(*) FROM schema_migrations WHERE version = 9999)")
        assert cur.fetchone() == (None, 0)


def test_bad_file_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "1_bad.sql").write_text("SELECT 1;")
    with pytest.raises(PipelineError, match="0001_name.sql"):
        discover(tmp_path)


def test_missing_or_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="no migrations found"):
        discover(tmp_path)
    with pytest.raises(PipelineError, match="does not exist"):
        discover(tmp_path / "nope")


def test_migrate_syncs_the_sources_rows_from_the_specs(empty_db: str) -> None:
    """Every registered spec has its row after `migrate`, and a changed spec field shows in the row."""
    migrate(empty_db)
    with psycopg2.connect(empty_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT name, display_name, base_url, language, enabled FROM sources ORDER BY name")
        rows = cur.fetchall()
    assert rows == sorted((s.name, s.display_name, s.base_url, s.language, s.enabled) for s in SOURCES.values())
    renamed = dataclasses.replace(SOURCES["egemen"], display_name="Egemen (renamed)", enabled=False)
    assert migrate(empty_db, sources=[renamed]) == []
    with psycopg2.connect(empty_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT display_name, enabled FROM sources WHERE name = 'egemen'")
        assert cur.fetchone() == ("Egemen (renamed)", False)
