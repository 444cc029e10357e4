"""Run ad-hoc SQL as the read-only role `newsarchive_reader` and stream the result as a table, CSV or JSON.

Reads DATABASE_URL and NEWSARCHIVE_QUERY_TIMEOUT (passed in): the query connects to the same server and database,
but as `newsarchive_reader` (created by migration 0004), so writes are refused by PostgreSQL's privileges.
On top of that, `open_query` runs exactly one statement (etl/read/statement.py: a second statement, `COMMIT`,
`SET ROLE`, `ALTER ROLE` ... are refused before anything is sent), inside a read-only transaction that is
always rolled back, under a statement timeout; queries go through a server-side cursor, so rows are printed
as they arrive and memory stays flat. A password for the role comes from libpq itself (PGPASSWORD or
~/.pgpass); the password in DATABASE_URL is never reused.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import psycopg2
from psycopg2 import errors
from psycopg2.extensions import parse_dsn

from etl.core.errors import ServiceError, UserError
from etl.read.statement import read_only_statement

log = logging.getLogger(__name__)

READER_ROLE = "newsarchive_reader"
FORMATS = ("table", "csv", "json")
_PARAM_RE = re.compile(r"%\((\w+)\)s")
_CELL_WIDTH = 60
FETCH_ROWS = 2000
_CURSOR = "newsarchive_query"


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows of one query (an iterator while it streams, a list once collected)."""

    columns: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]


def reader_dsn(database_url: str) -> dict[str, str]:
    """libpq connection parameters for `database_url`'s server and database, as the read-only role."""
    url = database_url.replace("postgresql+psycopg2://", "postgresql://", 1)
    try:
        params = parse_dsn(url)
    except psycopg2.ProgrammingError:
        raise UserError(f"DATABASE_URL is not a valid database URL: {database_url!r}") from None
    params.pop("password", None)
    params["user"] = READER_ROLE
    params["application_name"] = "newsarchive-query"
    return params


def connect_reader(database_url: str, statement_timeout: int = 0) -> Any:
    """A psycopg2 connection as `newsarchive_reader`, read-only transactions, `statement_timeout` seconds per
    statement (0: none); ServiceError when it cannot log in."""
    options = (f"-c statement_timeout={statement_timeout * 1000} -c default_transaction_read_only=on "
               "-c standard_conforming_strings=on")
    try:
        conn = psycopg2.connect(**reader_dsn(database_url), connect_timeout=10, options=options)
    except psycopg2.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        raise ServiceError(
            f"cannot connect as {READER_ROLE}: {first} (run `newsarchive migrate`; on a server with passwords "
            f"set one for {READER_ROLE} and put it in ~/.pgpass or PGPASSWORD)"
        ) from None
    conn.set_session(readonly=True)
    return conn


def query_parameters(sql: str) -> list[str]:
    """Names of the `%(name)s` parameters `sql` uses, in order of first use."""
    return list(dict.fromkeys(_PARAM_RE.findall(sql)))


def parse_params(items: Sequence[str]) -> dict[str, str]:
    """`["day=2026-01-01", ...]` -> {"day": "2026-01-01"}; UserError on an item without '='."""
    params: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"\w+", name):
            raise UserError(f"--param expects NAME=VALUE, got {item!r}")
        params[name] = value
    return params


@contextmanager
def open_query(database_url: str, sql: str, params: Mapping[str, Any] | None = None, *,
               timeout: int = 0) -> Iterator[QueryResult]:
    """Run one read-only statement as the reader role; its rows stream while the context is open.

    The transaction is read-only and always rolled back; `timeout` seconds bound each statement (0: none).
    """
    statement, is_query = read_only_statement(sql)
    if params is not None:
        missing = [name for name in query_parameters(statement) if name not in params]
        if missing:
            raise UserError(f"the query needs --param for: {', '.join(missing)}")
    conn = connect_reader(database_url, timeout)
    try:
        with _refusals(), conn.cursor(name=_CURSOR) if is_query else conn.cursor() as cur:
            cur.itersize = FETCH_ROWS
            cur.execute(statement, None if params is None else dict(params))
            first = cur.fetchmany(FETCH_ROWS) if cur.description is not None or is_query else []
            columns = tuple(col.name for col in cur.description or ())
            yield QueryResult(columns, _stream(first, cur) if is_query else first)
    finally:
        conn.rollback()
        conn.close()


def _stream(first: list[tuple[Any, ...]], cur: Any) -> Iterator[tuple[Any, ...]]:
    yield from first
    if len(first) == FETCH_ROWS:
        with _refusals():
            while batch := cur.fetchmany(FETCH_ROWS):
                yield from batch


@contextmanager
def _refusals() -> Iterator[None]:
    """PostgreSQL's refusals and errors as one-line UserErrors."""
    try:
        yield
    except errors.InsufficientPrivilege as exc:
        raise UserError(f"{_first_line(exc)} (queries run as the read-only role {READER_ROLE})") from None
    except errors.QueryCanceled as exc:
        raise UserError(f"query stopped: {_first_line(exc)} (NEWSARCHIVE_QUERY_TIMEOUT)") from None
    except psycopg2.Error as exc:
        raise UserError(f"query failed: {_first_line(exc)}") from None
    except (TypeError, ValueError, KeyError, IndexError) as exc:  # psycopg2 filling in %(name)s
        raise UserError(f"query failed: {_first_line(exc)} (with --param, write a literal % as %%)") from None


def run_query(database_url: str, sql: str, params: Mapping[str, Any] | None = None, *,
              timeout: int = 0) -> QueryResult:
    """`open_query` with every row collected in a list (for small results)."""
    with open_query(database_url, sql, params, timeout=timeout) as result:
        return QueryResult(result.columns, list(result.rows))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=_json_value)
    return str(value)


def _cell(value: Any) -> str:
    text = _text(value).replace("\n", "\\n").replace("\t", " ")
    return text if len(text) <= _CELL_WIDTH else text[: _CELL_WIDTH - 1] + "…"


class _Tally:
    """Iterates rows and counts them."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self.rows = iter(rows)
        self.count = 0

    def __iter__(self) -> _Tally:
        return self

    def __next__(self) -> tuple[Any, ...]:
        row = next(self.rows)
        self.count += 1
        return row


def write_result(result: QueryResult, out: TextIO, fmt: str = "table") -> int:
    """Render `result` on `out` as rows arrive: an aligned table (long cells cut; widths from the first
    FETCH_ROWS rows), CSV with a header, or a JSON array. Returns the number of rows."""
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    rows = _Tally(result.rows)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_text(v) for v in row] for row in rows)
    elif fmt == "json":
        out.write("[")
        for row in rows:
            record = json.dumps(dict(zip(result.columns, row, strict=True)), ensure_ascii=False, indent=2,
                                default=_json_value)
            out.write(("," if rows.count > 1 else "") + "\n  " + record.replace("\n", "\n  "))
        out.write("\n]\n" if rows.count else "]\n")
    else:
        head = [[_cell(v) for v in row] for _, row in zip(range(FETCH_ROWS), rows, strict=False)]
        widths = [max([len(c)] + [len(r[i]) for r in head]) for i, c in enumerate(result.columns)]
        lines = ([*head], ([_cell(v) for v in row] for row in rows))
        out.write(" | ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip() + "\n")
        out.write("-+-".join("-" * w for w in widths) + "\n")
        for part in lines:
            for cells in part:
                out.write(" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n")
        out.write(f"({rows.count} row{'s' if rows.count != 1 else ''})\n")
    return rows.count


def read_query_file(path: Path) -> str:
    """The SQL text of a cookbook file (UserError when missing)."""
    if not path.is_file():
        raise UserError(f"no such query file: {path}")
    return path.read_text(encoding="utf-8")
