"""`newsarchive coverage [--source S] [--since D] [--until D]`: print the coverage ledger (status and counts per day).

Reads DATABASE_URL through Settings (or the running embedded PostgreSQL).
"""

from __future__ import annotations

import argparse
import sys

from etl.cli.args import check_range, date_arg
from etl.core.config import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `coverage` subcommand."""
    parser = sub.add_parser(
        "coverage", help="print the coverage ledger: per source and day, counts, status and health",
        description="Statuses: complete, partial (articles missing or a run stopped between steps), failed, "
        "never-run. With --since/--until, days without any run in that range are listed as never-run, between "
        "the first and the last day with a run.",
    )
    parser.add_argument("--source", help="only this source")
    parser.add_argument("--since", type=date_arg, help="first local day to show, YYYY-MM-DD")
    parser.add_argument("--until", type=date_arg, help="last local day to show (included), YYYY-MM-DD")
    parser.set_defaults(handler=cmd_coverage)


def cmd_coverage(args: argparse.Namespace, settings: Settings) -> int:
    """Refresh and print the ledger."""
    from etl.sources import SOURCES, get_source
    from etl.store import coverage

    since, until = args.since, args.until
    check_range(since, until)
    url = settings.require_database_url()
    names = [get_source(args.source).name] if args.source else [s.name for s in SOURCES.values()]
    items = []
    if since or until:
        days = coverage.bounded(url, names, since, until)
        if days is not None:
            coverage.refresh(url, names, *days)
            items = coverage.rows(url, args.source, *days)
    else:
        coverage.refresh(url, names)
        items = coverage.rows(url, args.source)
    for line in coverage.as_table(items):
        sys.stdout.write(line + "\n")
    by_status = {s: sum(1 for r in items if r.status == s) for s in coverage.STATUSES}
    sys.stdout.write(", ".join(f"{n} {s}" for s, n in by_status.items()) + "\n")
    return 0
