"""`newsarchive query` cannot make lasting changes: one statement, read-only, rolled back, timed out, streamed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from etl.cli.main import main
from etl.core.config import Settings
from etl.core.errors import UserError
from etl.read.query import open_query
from etl.read.statement import read_only_statement, single_statement

REPO = Path(__file__).resolve().parents[1]
ESCAPE = "ALTER ROLE newsarchive_reader SET statement_timeout = '1ms'"

# Ways to smuggle a second statement past a splitter that does not lex like PostgreSQL.
SMUGGLED = [
    f"SELECT 1; COMMIT; {ESCAPE}",
    f"SELECT 1;\nCOMMIT;\n{ESCAPE};",
    f"SELECT 'a\\'; COMMIT; {ESCAPE}; SELECT '",        # a backslash does not escape in a standard string
    f"SELECT 1 AS x$a$; COMMIT; {ESCAPE}; SELECT $a$",  # `x$a$` is an identifier, not a dollar quote
    f"SELECT E'\\''; COMMIT; {ESCAPE}",
    f"SELECT 1 /* nested /* */ ; */; COMMIT; {ESCAPE}",
    f"SELECT U&'\\'; COMMIT; {ESCAPE}; SELECT '",
    f"SELECT \"a\"\"\"; COMMIT; {ESCAPE}",
]
REFUSED = ["BEGIN", "COMMIT", "ROLLBACK", "START TRANSACTION READ WRITE", "SET TRANSACTION READ WRITE",
           "SET ROLE postgres", "RESET ROLE", "SET SESSION AUTHORIZATION postgres", ESCAPE,
           "ALTER ROLE newsarchive_reader PASSWORD 'x'", "SET default_transaction_read_only = off",
           "CALL anything()", "DO $$BEGIN END$$", "COPY articles TO STDOUT", "LOCK TABLE articles",
           "DECLARE c CURSOR WITH HOLD FOR SELECT 1"]


@pytest.mark.parametrize("sql", SMUGGLED)
def test_second_statement_is_found_however_it_is_hidden(sql: str) -> None:
    with pytest.raises(UserError, match="one statement"):
        single_statement(sql)


@pytest.mark.parametrize("sql", ["SELECT ';'", "SELECT $$;$$ AS a", "SELECT $t$ ; $x$ $t$", "SELECT E'\\';'",
                                 'SELECT 1 AS ";"', "SELECT 1 -- ;\n", "/* ; /* ; */ */ SELECT 1;  ;\n-- x",
                                 "(SELECT 1)", "WITH a AS (SELECT 1) SELECT * FROM a", "VALUES (1)", "TABLE articles",
                                 "EXPLAIN SELECT 1", "SHOW search_path"])
def test_one_read_statement_passes(sql: str) -> None:
    statement, _ = read_only_statement(sql)
    assert not statement.endswith(";")


@pytest.mark.parametrize("sql", REFUSED)
def test_statements_that_are_not_queries_are_refused(sql: str) -> None:
    with pytest.raises(UserError, match="read-only statements only"):
        read_only_statement(sql)


def _reader_settings(url: str) -> list[str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT coalesce(array_agg(c ORDER BY c), '{}') FROM pg_db_role_setting s
                       JOIN pg_roles r ON r.oid = s.setrole, unnest(s.setconfig) AS c
                       WHERE r.rolname = 'newsarchive_reader'""")
        row = cur.fetchone()
    conn.close()
    assert row is not None
    return list(row[0])


@pytest.mark.integration
@pytest.mark.parametrize("sql", SMUGGLED + REFUSED)
def test_no_escape_leaves_a_trace(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str], tmp_path: Path, sql: str) -> None:
    url = settings.require_database_url()
    before = _reader_settings(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(["query", sql]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert _reader_settings(url) == before and not any(c.startswith("statement_timeout") for c in before)
    assert main(["query", "SELECT 1 AS still_works"]) == 0


@pytest.mark.integration
def test_queries_run_read_only_and_data_changing_ctes_are_refused(settings: Settings) -> None:
    url = settings.require_database_url()
    with open_query(url, "SELECT current_setting('transaction_read_only'), current_setting('statement_timeout')",
                    timeout=7) as result:
        assert list(result.rows) == [("on", "7s")]
    with pytest.raises(UserError, match="query failed"), \
            open_query(url, "WITH gone AS (DELETE FROM articles RETURNING id) SELECT count(*) FROM gone"):
        pass
    with pytest.raises(UserError, match="read-only transaction"), \
            open_query(url, "EXPLAIN ANALYZE WITH gone AS (DELETE FROM articles RETURNING id) SELECT 1"):
        pass


@pytest.mark.integration
def test_statement_timeout_from_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.require_database_url())
    monkeypatch.setenv("NEWSARCHIVE_QUERY_TIMEOUT", "1")
    monkeypatch.chdir(tmp_path)
    began = time.monotonic()
    assert main(["query", "SELECT pg_sleep(30)"]) == 2
    assert time.monotonic() - began < 15
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "statement timeout" in err and "NEWSARCHIVE_QUERY_TIMEOUT" in err


@pytest.mark.integration
def test_rows_stream_through_a_server_side_cursor(settings: Settings) -> None:
    url = settings.require_database_url()
    with open_query(url, "SELECT g FROM generate_series(1, 3000000) AS g") as result:
        rows = iter(result.rows)
        assert next(rows) == (1,)
        with psycopg2.connect(url) as admin, admin.cursor() as cur:
            cur.execute("SELECT query FROM pg_stat_activity WHERE application_name = 'newsarchive-query'")
            assert [row[0] for row in cur.fetchall()] == ['FETCH FORWARD 2000 FROM "newsarchive_query"']
        admin.close()


@pytest.mark.integration
def test_three_million_rows_print_in_bounded_memory(settings: Settings, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": settings.require_database_url(), "PYTHONPATH": str(REPO)}
    sql = "SELECT g, repeat('x', 40) AS pad FROM generate_series(1, 3000000) AS g"
    out = tmp_path / "rows.csv"
    # A wrapper process, so that the peak RSS measured is this query's alone (not of earlier test children).
    measure = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=sys.stdout);"
               "sys.stderr.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))")
    with out.open("wb") as sink:
        done = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "etl.cli.main", "query",
                               "--format", "csv", sql], cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.PIPE,
                              check=True, timeout=300, text=True)
    peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
    assert out.stat().st_size > 3_000_000 * 40
    with out.open("rb") as rows:
        rows.seek(-60, os.SEEK_END)
        assert rows.read().splitlines()[-1].startswith(b"3000000,")
    assert peak_mb < 250, f"peak RSS {peak_mb:.0f} MB"  # measured 49 MB; 1.26 GB when all rows were held
