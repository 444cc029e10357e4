"""`newsarchive report [--since D] [--until D] [-o report.html]`: write the self-contained HTML run report.

Reads DATABASE_URL through Settings (or the running embedded PostgreSQL).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from etl.cli.args import check_range, date_arg
from etl.core.config import Settings
from etl.core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `report` subcommand."""
    parser = sub.add_parser(
        "report", help="write an HTML report (articles, coverage heatmap, failures, duplicate/fallback share)",
        description="One self-contained HTML file with inline SVG charts; open it in any browser, offline. The "
        "days are --since..--until cut to the first and last day with crawl runs.",
    )
    parser.add_argument("--since", type=date_arg, help="first local day, YYYY-MM-DD (default: the first with runs)")
    parser.add_argument("--until", type=date_arg, help="last local day, YYYY-MM-DD (default: the last with runs)")
    parser.add_argument("-o", "--output", default="report.html", help="output file (default report.html)")
    parser.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Build the report and write it."""
    from etl.read import report
    from etl.sources import SOURCES

    check_range(args.since, args.until)
    out = Path(args.output)
    if not out.absolute().parent.is_dir():
        raise UserError(f"no such folder: {out.absolute().parent}")
    page = report.build(settings.require_database_url(), list(SOURCES), args.since, args.until)
    out.write_text(page, encoding="utf-8")
    sys.stdout.write(f"wrote {out} ({len(page.encode('utf-8'))} bytes)\n")
    return 0
