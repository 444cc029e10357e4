"""`newsarchive capture --source S (--from-warc KEY | --probe) [--out DIR] [--articles N]`: golden pages.

Turns archived article responses (a WARC in S3, or a fresh `newsarchive probe` crawl, itself archived) into
golden pages in the layout of tests/golden/ (gzipped HTML, meta, expected JSON and corpus text rendered by the
current parsers) for a person to review, add a truth file to, and commit. A page already there is replaced
and the diff of its expectations is printed. Reads the S3 settings (and, with --probe, what the probe reads).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from etl.cli.args import date_arg
from etl.core.config import Settings
from etl.core.errors import UserError
from etl.read.capture import capture_warc
from etl.sources import get_source, register_modules

DEFAULT_OUT = Path("tests") / "golden"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `capture` subcommand."""
    parser = sub.add_parser(
        "capture", help="turn archived article responses into golden test pages (for review)",
        description="Write tests/golden/<source>/<id>.html.gz, .meta.json, .json and .corpus.txt from the article "
        "responses of an archived WARC or of a fresh probe; replaced expectations are shown as a diff.",
    )
    parser.add_argument("--source", required=True, help="source name, e.g. kazinform")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--from-warc", metavar="KEY", help="S3 key of an archived WARC (raw/source=.../....warc.gz)")
    what.add_argument("--probe", action="store_true", help="probe the site first (see `newsarchive probe`)")
    parser.add_argument("--articles", type=int, default=5, help="with --probe: pages to fetch (default 5)")
    parser.add_argument("--date", type=date_arg, help="with --probe: local day of the listings (default today)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="golden root (default tests/golden)")
    parser.set_defaults(handler=cmd_capture)


def cmd_capture(args: argparse.Namespace, settings: Settings) -> int:
    """Capture golden pages; print one line per page (and the diff of replaced expectations)."""
    register_modules(settings.source_modules)
    source = get_source(args.source)
    key = args.from_warc
    if args.probe:
        from etl.steps.probe import probe_source

        if args.articles < 1:
            raise UserError(f"--articles must be at least 1, got {args.articles}")
        key = probe_source(settings, source, args.date or datetime.now(source.tz).date(), args.articles).warc_key
    elif not key.endswith(".warc.gz"):
        raise UserError(f"--from-warc {key!r} is not a WARC key (…/<run>.warc.gz)")
    captured = capture_warc(settings, source, key, args.out)
    for page in captured:
        sys.stdout.write(f"wrote {page.path}\n" if page.path else f"skipped {page.url}: {page.skipped}\n")
        if page.diff:
            sys.stdout.write(page.diff)
    written = sum(1 for page in captured if page.path)
    sys.stdout.write(f"{written} golden pages from {key}; review them, add <id>.truth.json, then commit\n")
    return 0 if written else 1
