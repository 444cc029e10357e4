"""`newsarchive report [--since D] [-o report.html]`: write the self-contained HTML run report.

Reads DATABASE_URL through Settings (or the running embedded PostgreSQL).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path

from etl.cli.args import date_arg
from etl.core.config import Settings
from etl.core.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `report` subcommand."""
    parser = sub.add_parser(
        "report", help="write an HTML report (articles, coverage heatmap, duplicate/fallback share, failures)",
        description="One self-contained HTML file with inline SVG charts; open it in any browser, offline.",
    )
    parser.add_argument("--since", type=date_arg, help="first local day, YYYY-MM-DD (default: all days with runs)")
    parser.add_argument("-o", "--output", default="report.html", help="output file (default report.html)")
    parser.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Build the report and write it."""
    from etl.read import report
    from etl.sources import SOURCES

    url = settings.require_database_url()
    until = max(args.since, datetime.now(settings.timezone).date() - timedelta(days=1)) if args.since else None
    page = report.build(url, list(SOURCES), args.since, until)
    out = Path(args.output)
    if not out.parent.is_dir():
        raise UserError(f"no such directory: {out.parent}")
    out.write_text(page, encoding="utf-8")
    sys.stdout.write(f"wrote {out} ({len(page.encode('utf-8'))} bytes)\n")
    return 0
