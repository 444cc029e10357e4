"""`newsarchive query "SELECT ..."`: run SQL as the read-only role and print a table, CSV or JSON.

Reads DATABASE_URL (in local mode resolved by the CLI entry from the running embedded PostgreSQL) and
NEWSARCHIVE_QUERY_TIMEOUT through Settings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from etl.core.config import Settings
from etl.core.errors import UserError
from etl.read.query import FORMATS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `query` subcommand."""
    parser = sub.add_parser(
        "query", help="run SQL as the read-only role newsarchive_reader; print a table, CSV or JSON",
        description="Runs one read-only statement (SELECT, WITH, VALUES, TABLE, EXPLAIN or SHOW; or a cookbook "
        "file from sql/queries/) as newsarchive_reader, a role with SELECT privileges only, in a read-only "
        "transaction under NEWSARCHIVE_QUERY_TIMEOUT; rows are printed as they arrive. %%(name)s placeholders "
        "take --param values.",
    )
    parser.add_argument("sql", nargs="?", help='the SQL text, e.g. "SELECT count(*) FROM current_articles"')
    parser.add_argument("-f", "--file", help="read the SQL from this file instead (e.g. sql/queries/articles_of_day.sql)")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="value for a %%(NAME)s placeholder (repeatable); passed as a query parameter")
    parser.add_argument("--format", choices=FORMATS, default=FORMATS[0])
    parser.set_defaults(handler=cmd_query)


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    """Run the query and print its result."""
    from etl.read.query import open_query, parse_params, query_parameters, read_query_file, write_result

    if bool(args.sql) == bool(args.file):
        raise UserError("give either the SQL text or --file, not both or neither")
    sql = read_query_file(Path(args.file)) if args.file else args.sql
    params = parse_params(args.param)
    use_params = bool(params) or bool(query_parameters(sql))
    with open_query(settings.require_database_url(), sql, params if use_params else None,
                    timeout=settings.query_timeout) as result:
        write_result(result, sys.stdout, args.format)
    return 0
