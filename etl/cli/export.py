"""`newsarchive export --format FORMAT -o PATH`: stream articles out of the archive (etl.read.export.FORMATS).

Reads DATABASE_URL and NEWSARCHIVE_TIMEZONE through Settings (in local mode resolved by the CLI entry
from the running embedded PostgreSQL).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from etl.cli.args import check_range, date_arg
from etl.core.config import Settings
from etl.read.export import FORMATS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `export` subcommand."""
    parser = sub.add_parser(
        "export", help=f"export articles: {', '.join(FORMATS)}",
        description="Streams articles through a server-side cursor (constant memory). "
        + "; ".join(f"{fmt.name}: {fmt.description}" for fmt in FORMATS.values())
        + ". Duplicates are left out unless --include-duplicates.",
    )
    parser.add_argument("--format", required=True, choices=list(FORMATS))
    parser.add_argument("-o", "--output", required=True, help="output file ("
                        + ", ".join(f.name for f in FORMATS.values() if f.single_file) + ") or folder ("
                        + ", ".join(f.name for f in FORMATS.values() if not f.single_file)
                        + "); its parent folder must exist")
    parser.add_argument("--source", help="only this source")
    parser.add_argument("--since", type=date_arg, help="first local publication day, YYYY-MM-DD")
    parser.add_argument("--until", type=date_arg, help="last local publication day (inclusive), YYYY-MM-DD")
    parser.add_argument("--lang", help="only this language code (detected, else declared), e.g. kk")
    parser.add_argument("--include-duplicates", action="store_true", help="also export republished copies")
    parser.add_argument("--force", action="store_true", help="write over an existing file or non-empty folder")
    parser.set_defaults(handler=cmd_export)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Run the export, with progress on stderr."""
    from etl.read.export import ExportFilter, export

    check_range(args.since, args.until)
    started = time.monotonic()

    def progress(count: int) -> None:
        rate = count / max(time.monotonic() - started, 1e-6)
        sys.stderr.write(f"\rexported {count} articles ({rate:,.0f}/s)")
        sys.stderr.flush()

    flt = ExportFilter(source=args.source, since=args.since, until=args.until, language=args.lang,
                       include_duplicates=args.include_duplicates)
    result = export(settings.require_database_url(), args.format, Path(args.output), flt,
                    settings.timezone, force=args.force, progress=progress)
    sys.stderr.write("\n")
    skipped = f", {result.skipped} skipped (no date or unusable text)" if result.skipped else ""
    sys.stdout.write(f"exported {result.written} articles to {result.path}{skipped}\n")
    return 0
