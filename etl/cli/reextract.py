"""`newsarchive reextract [--source S] [--since D] [--until D]`: re-parse archived pages, fetch nothing.

Reads DATABASE_URL and the S3 settings through Settings (or the running embedded services). Prints what
changed as JSON; days are the local days of the crawl runs that loaded the articles.
"""

from __future__ import annotations

import argparse
import json
import sys

from etl.cli.args import check_range, date_arg
from etl.core.config import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `reextract` subcommand."""
    parser = sub.add_parser(
        "reextract", help="re-parse archived WARC records from S3 with the current parsers (no fetching)",
        description="Updates articles whose content or extractor version changed; new content becomes a new "
        "article version. Run it after improving a parser (and bumping its VERSION).",
    )
    parser.add_argument("--source", help="only this source")
    parser.add_argument("--since", type=date_arg, help="first local day, YYYY-MM-DD")
    parser.add_argument("--until", type=date_arg, help="last local day (included), YYYY-MM-DD")
    parser.set_defaults(handler=cmd_reextract)


def cmd_reextract(args: argparse.Namespace, settings: Settings) -> int:
    """Run the re-extraction and print its counts."""
    from etl.sources import get_source
    from etl.steps.reextract import reextract

    check_range(args.since, args.until)
    source = get_source(args.source).name if args.source else None
    result = reextract(settings, source, args.since, args.until)
    sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return 0
