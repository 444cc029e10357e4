"""`newsarchive backfill --source S --start D1 --end D2 [--only-gaps] [--refetch]`: fill past days, resumable.

Reads every pipeline setting through Settings (or the running embedded services). Progress on stderr, the
job summary as JSON on stdout; exit status 1 when a day failed (run the same command again to retry it).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from etl.cli.args import date_arg
from etl.core.config import Settings
from etl.steps.plan import STEPS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `backfill` subcommand."""
    parser = sub.add_parser(
        "backfill", help=f"{' -> '.join(s.name for s in STEPS)} for every day of a past range (resumable, no Airflow)",
        description="Runs the daily work for each local day of [--start, --end]. Interrupted? Run the same "
        "command again: finished days are skipped and an unfinished day continues at the step where it stopped.",
    )
    parser.add_argument("--source", required=True, help="source name, e.g. kazinform")
    parser.add_argument("--start", required=True, type=date_arg, help="first local day, YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=date_arg, help="last local day (included), YYYY-MM-DD")
    parser.add_argument("--only-gaps", action="store_true",
                        help="only days whose coverage is not complete (see `newsarchive coverage`)")
    parser.add_argument("--refetch", action="store_true", help="fetch articles again even if already loaded")
    parser.set_defaults(handler=cmd_backfill)


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    """Run or resume the backfill job."""
    from etl.steps import backfill

    request = backfill.BackfillRequest(args.source, args.start, args.end, args.only_gaps, args.refetch)
    backfill.validate(request, datetime.now(settings.timezone).date())
    result = backfill.run(settings, request, stream=backfill.default_stream())
    sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    return 1 if result.failed else 0
