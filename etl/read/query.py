"""Run ad-hoc SQL as the read-only role `newsarchive_reader` and render the result as a table, CSV or JSON.

Reads DATABASE_URL (passed in): the query connects to the same server and database, but as
`newsarchive_reader` (created by migration 0004), so writes are refused by PostgreSQL's privileges, not by
inspecting the SQL. A password for that role, if the server wants one, comes from libpq itself (PGPASSWORD or
~/.pgpass); the password in DATABASE_URL is never reused.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import psycopg2
from psycopg2 import errors
from psycopg2.extensions import parse_dsn

from etl.core.errors import ServiceError, UserError

log = logging.getLogger(__name__)

READER_ROLE = "newsarchive_reader"
FORMATS = ("table", "csv", "json")
_PARAM_RE = re.compile(r"%\((\w+)\)s")
_CELL_WIDTH = 60


@dataclass(frozen=True)
class QueryResult:
    """Column names and rows of one query."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


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


def connect_reader(database_url: str) -> Any:
    """A psycopg2 connection as `newsarchive_reader` (ServiceError when it cannot log in)."""
    try:
        return psycopg2.connect(**reader_dsn(database_url), connect_timeout=10)
    except psycopg2.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
        raise ServiceError(
            f"cannot connect as {READER_ROLE}: {first} (run `newsarchive migrate`; on a server with passwords "
            f"set one for {READER_ROLE} and put it in ~/.pgpass or PGPASSWORD)"
        ) from None


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


def run_query(database_url: str, sql: str, params: Mapping[str, Any] | None = None) -> QueryResult:
    """Run `sql` as the read-only role and return its rows; the transaction is always rolled back."""
    if params is not None:
        missing = [name for name in query_parameters(sql) if name not in params]
        if missing:
            raise UserError(f"the query needs --param for: {', '.join(missing)}")
    conn = connect_reader(database_url)
    try:
        with conn.cursor() as cur:
            try:
                if params is None:
                    cur.execute(sql)
                else:
                    cur.execute(sql, dict(params))
            except errors.InsufficientPrivilege as exc:
                raise UserError(f"{_first_line(exc)} (queries run as the read-only role {READER_ROLE})") from None
            except psycopg2.Error as exc:
                raise UserError(f"query failed: {_first_line(exc)}") from None
            except (TypeError, ValueError, KeyError, IndexError) as exc:  # psycopg2 filling in %(name)s
                raise UserError(f"query failed: {_first_line(exc)} (with --param, write a literal % as %%)") from None
            if cur.description is None:
                return QueryResult((), [])
            columns = tuple(col.name for col in cur.description)
            return QueryResult(columns, cur.fetchall())
    finally:
        conn.rollback()
        conn.close()


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


def write_result(result: QueryResult, out: TextIO, fmt: str = "table") -> None:
    """Render `result` on `out`: an aligned table (long cells cut), CSV with a header, or a JSON array."""
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_text(v) if v is not None else "" for v in row] for row in result.rows)
    elif fmt == "json":
        records = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        json.dump(records, out, ensure_ascii=False, indent=2, default=_json_value)
        out.write("\n")
    elif fmt == "table":
        cells = [[_cell(v) for v in row] for row in result.rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(result.columns)]
        out.write(" | ".join(c.ljust(w) for c, w in zip(result.columns, widths, strict=True)).rstrip() + "\n")
        out.write("-+-".join("-" * w for w in widths) + "\n")
        for row in cells:
            out.write(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
        out.write(f"({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})\n")
    else:
        raise UserError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def read_query_file(path: Path) -> str:
    """The SQL text of a cookbook file (UserError when missing)."""
    if not path.is_file():
        raise UserError(f"no such query file: {path}")
    return path.read_text(encoding="utf-8")
