"""`newsarchive query`: the read-only role refuses every write by privilege; results as table, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest
from archive_rows import golden_truths, load_truths
from ops_support import other_database
from psycopg2 import errors

from etl.cli.main import main
from etl.core.config import Settings
from etl.core.errors import UserError
from etl.read.query import (
    QueryResult,
    parse_params,
    query_parameters,
    reader_dsn,
    run_query,
    write_result,
)
from etl.store import migrate

WRITES = [
    "INSERT INTO sources (name, display_name, base_url, language) VALUES ('x', 'x', 'x', 'kk')",
    "UPDATE articles SET title = 'x'",
    "DELETE FROM articles",
    "TRUNCATE articles CASCADE",
    "CREATE TABLE public.intruder (a int)",
    "CREATE VIEW public.intruder AS SELECT 1",
    "ALTER TABLE articles ADD COLUMN intruder int",
    "DROP TABLE crawl_runs CASCADE",
    "DROP VIEW current_articles",
    "CREATE INDEX intruder ON articles (title)",
    "COMMENT ON TABLE articles IS 'x'",
    "CREATE SCHEMA intruder",
    "ALTER ROLE newsarchive_reader SUPERUSER",
    "SET ROLE postgres",
]


def test_reader_dsn_swaps_user_and_drops_password() -> None:
    params = reader_dsn("postgresql+psycopg2://owner:secret@db.example:5433/archive")
    assert params["user"] == "newsarchive_reader"
    assert "password" not in params
    assert (params["host"], params["port"], params["dbname"]) == ("db.example", "5433", "archive")


def test_params_and_placeholders() -> None:
    assert parse_params(["day=2026-01-01", "phrase=a=b c"]) == {"day": "2026-01-01", "phrase": "a=b c"}
    with pytest.raises(UserError):
        parse_params(["nonsense"])
    assert query_parameters("SELECT %(a)s, %(b)s, %(a)s") == ["a", "b"]


def test_formats() -> None:
    when = datetime(2026, 1, 1, 4, 0, tzinfo=UTC)
    result = QueryResult(("id", "title", "tags", "at", "none"), [(1, "Жаңа\nжыл", ["a", "ә"], when, None)])
    table = io.StringIO()
    write_result(result, table, "table")
    lines = table.getvalue().splitlines()
    assert lines[0].split(" | ")[:2] == ["id", "title    "] and "Жаңа\\nжыл" in lines[2] and lines[-1] == "(1 row)"
    out = io.StringIO()
    write_result(result, out, "csv")
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["id", "title", "tags", "at", "none"], ["1", "Жаңа\nжыл", '["a", "ә"]', "2026-01-01T04:00:00+00:00", ""]]
    out = io.StringIO()
    write_result(result, out, "json")
    assert json.loads(out.getvalue()) == [
        {"id": 1, "title": "Жаңа\nжыл", "tags": ["a", "ә"], "at": "2026-01-01T04:00:00+00:00", "none": None}]


@pytest.mark.integration
@pytest.mark.parametrize("statement", WRITES)
def test_reader_cannot_write_or_change_schema(settings: Settings, statement: str) -> None:
    """Privileges alone refuse writes: even a read-write transaction of the role (psql) cannot write."""
    conn = psycopg2.connect(**reader_dsn(settings.require_database_url()),
                            options="-c default_transaction_read_only=off")
    try:
        with conn.cursor() as cur, pytest.raises(errors.InsufficientPrivilege):
            cur.execute(statement)
    finally:
        conn.rollback()
        conn.close()


@pytest.mark.integration
def test_query_reads_views_and_refuses_writes_even_after_reset_role(settings: Settings) -> None:
    url = settings.require_database_url()
    load_truths(url, golden_truths()[:3])
    result = run_query(url, "SELECT current_user, count(*) FROM current_articles")
    assert result.columns == ("current_user", "count") and result.rows == [("newsarchive_reader", 3)]
    assert run_query(url, "SELECT count(*) FROM search_articles(%(q)s)", {"q": "KAZINFORM"}).rows == [(3,)]
    with pytest.raises(UserError, match="one statement"):
        run_query(url, "RESET ROLE; DELETE FROM articles")
    with pytest.raises(UserError, match="one statement"):
        run_query(url, "SELECT 1; SET SESSION AUTHORIZATION postgres; DELETE FROM articles")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles")
        assert cur.fetchone() == (3,)


@pytest.mark.integration
def test_cli_prints_csv_and_json_and_fails_one_line(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = settings.require_database_url()
    load_truths(url, golden_truths()[:2])
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    sql = "SELECT article_id, title FROM current_articles ORDER BY article_id"
    assert main(["query", "--format", "csv", sql]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["article_id", "title"] and [r[0] for r in rows[1:]] == ["025342", "0526ba"]
    assert main(["query", "--format", "json", "SELECT article_id FROM current_articles WHERE article_id = %(id)s",
                 "-p", "id=025342"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"article_id": "025342"}]
    assert main(["query", "UPDATE articles SET title = 'x'"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "read-only statements only" in err and "not UPDATE" in err
    assert main(["query", "SELECT title FROM articles FOR UPDATE"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "read-only transaction" in err


@pytest.mark.integration
def test_role_migration_is_safe_on_a_second_database(settings: Settings, tmp_path: Path) -> None:
    """The role is cluster-wide: a second archive database on the same server migrates and gets its grants."""
    url = settings.require_database_url()
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS newsarchive_second")
        cur.execute("CREATE DATABASE newsarchive_second")
    second = other_database(url, "newsarchive_second")
    try:
        migrate.migrate(second)
        assert run_query(second, "SELECT count(*) FROM current_articles").rows == [(0,)]
    finally:
        from etl.store.db import engine

        engine(second).dispose()
        with admin.cursor() as cur:
            cur.execute("DROP DATABASE newsarchive_second WITH (FORCE)")
        admin.close()
