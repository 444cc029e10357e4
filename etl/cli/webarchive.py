"""The archive as a web archive: `wacz`, `show`, `verify`, `index-archive` and `replay-archive`.

Reads DATABASE_URL and the S3 settings through Settings (or the running embedded services), and
NEWSARCHIVE_STATE_DIR for the replay cache.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from etl.cli.args import date_arg
from etl.core.config import Settings
from etl.core.errors import UserError


def _moment(value: str) -> datetime:
    """argparse type for --at: an ISO time with offset, or a 14-digit CDX timestamp (UTC)."""
    try:
        if value.isdigit() and len(value) == 14:
            return datetime.strptime(value + "+0000", "%Y%m%d%H%M%S%z")
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 2026-01-01T09:30+05:00 or 20260101043000, got {value!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} has no UTC offset (e.g. 2026-01-01T09:30+05:00)")
    return moment


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the web-archive subcommands."""
    wacz = sub.add_parser("wacz", help="package one source-day as a WACZ file (WARCs, CDXJ index, pages, digests)")
    wacz.add_argument("--source", required=True, help="source name, e.g. kazinform")
    wacz.add_argument("--day", required=True, type=date_arg, help="local day, YYYY-MM-DD")
    wacz.add_argument("-o", "--output", required=True, help="the .wacz file to write")
    wacz.add_argument("--force", action="store_true", help="overwrite an existing file")
    wacz.set_defaults(handler=cmd_wacz)

    show = sub.add_parser("show", help="print one stored response (WARC headers, HTTP headers, body)")
    show.add_argument("url", help="the URL as it was fetched")
    show.add_argument("--at", type=_moment, help="the capture closest to this time (default: the latest)")
    show.add_argument("--body", action="store_true", help="print only the body, as stored")
    show.set_defaults(handler=cmd_show)

    verify = sub.add_parser("verify", help="re-read WARCs from S3: digests, sizes, and every article's WARC pointer")
    verify.add_argument("--source", help="only this source")
    verify.add_argument("--since", type=date_arg, help="only runs of this local day or later")
    verify.set_defaults(handler=cmd_verify)

    index = sub.add_parser("index-archive", help="write the capture index of WARCs archived before it existed")
    index.add_argument("--source", help="only this source")
    index.set_defaults(handler=cmd_index)

    replay = sub.add_parser("replay-archive", help="browse the archive through pywb on 127.0.0.1")
    replay.add_argument("--port", type=int, default=8090, help="port on 127.0.0.1 (default 8090)")
    replay.add_argument("--pywb", help="path of pywb's `wayback` (default: found; see `make webarchive-tools`)")
    replay.set_defaults(handler=cmd_replay)


def cmd_wacz(args: argparse.Namespace, settings: Settings) -> int:
    """Write the WACZ."""
    from etl.read import wacz
    from etl.sources import get_source

    get_source(args.source)
    out = Path(args.output)
    if out.exists() and (out.is_dir() or not args.force):
        raise UserError(f"{out} already exists (use --force to overwrite a file)")
    if not out.parent.is_dir():
        raise UserError(f"no such directory: {out.parent}")
    package = wacz.package_day(settings, args.source, args.day, out)
    sys.stdout.write(f"wrote {out}: {package.warcs} WARC(s), {package.captures} captures, {package.pages} pages\n")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    """Print the stored response."""
    from etl.store import captures

    capture = captures.find(settings.require_database_url(), args.url, args.at)
    stored = captures.read(settings, capture)
    if not args.body:
        head = [f"# {capture.url} captured {capture.captured_at.isoformat()} "
                f"(s3://{settings.s3_bucket}/{capture.warc_key} @{capture.warc_offset}+{capture.warc_length})"]
        head += [f"{name}: {value}" for name, value in stored.warc_headers]
        head += ["", stored.status_line, *(f"{name}: {value}" for name, value in stored.http_headers), "", ""]
        sys.stdout.write("\n".join(head))
        sys.stdout.flush()
    for chunk in stored.chunks():  # streamed: a decoded body can be far larger than the stored one
        sys.stdout.buffer.write(chunk)
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Verify and report."""
    from etl.store import verify

    report = verify.verify(settings, args.source, args.since)
    for problem in report.problems:
        sys.stdout.write(f"problem: {problem}\n")
    sys.stdout.write(f"verified {report.archives} WARC(s), {report.records} records, {report.articles} article "
                     f"pointers: {len(report.problems)} problem(s)\n")
    verify.require_clean(report)
    return 0


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """Index the archives that have no capture rows."""
    from etl.store import captures

    todo = captures.unindexed_archives(settings.require_database_url(), args.source)
    total = sum(captures.index_run(settings, run_id, key) for run_id, key in todo)
    sys.stdout.write(f"indexed {len(todo)} WARC(s), {total} captures\n")
    return 0


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Prepare the pywb folder and serve it until interrupted."""
    from etl.read import replay_archive

    wayback = replay_archive.find_wayback(args.pywb)
    root = settings.state_dir / "replay-archive"
    counts = replay_archive.prepare(settings, root)
    process = replay_archive.serve(root, args.port, wayback)
    sys.stdout.write(f"replaying {sum(counts.values())} captures of {len(counts)} source(s) on "
                     f"http://127.0.0.1:{args.port}/<source>/<timestamp>/<url> (Ctrl-C stops)\n")
    sys.stdout.flush()
    try:
        while process.poll() is None:
            time.sleep(0.5)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
    return 0 if process.returncode in (0, -15) else 1
