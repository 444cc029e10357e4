"""`newsarchive backfill --source S[,S2...|all] --start D1 --end D2 [--only-gaps] [--refetch]`: fill past days.

Reads every pipeline setting through Settings (or the running embedded services). Each source is its own
resumable job; sources sharing no host run at the same time (up to NEWSARCHIVE_CRAWL_PARALLEL), all of them
crawling in one long-lived crawl process. Progress on stderr, the summary of every job as JSON on stdout (keyed
by source), then one line per failed or unhealthy day on stderr; exit status 1 when a day failed or is
unhealthy (run the same command again to retry the failed days).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from etl.cli.args import date_arg, source_names
from etl.core.config import Settings
from etl.steps.plan import STEPS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `backfill` subcommand."""
    parser = sub.add_parser(
        "backfill", help=f"{' -> '.join(s.name for s in STEPS)} for every day of a past range (resumable, no Airflow)",
        description="Runs the daily work for each local day of [--start, --end], day after day, several sources at "
        "once (NEWSARCHIVE_CRAWL_PARALLEL). Interrupted? "
        "Run the same command again: finished days are skipped and an unfinished day continues at the step where "
        "it stopped. Exit status 1 when a day failed or is unhealthy.",
    )
    parser.add_argument("--source", required=True, action="append", metavar="S",
                        help="source name (e.g. kazinform); several: repeat it or separate by commas; "
                        "`all`: every enabled source")
    parser.add_argument("--start", required=True, type=date_arg, help="first local day, YYYY-MM-DD")
    parser.add_argument("--end", required=True, type=date_arg, help="last local day (included), YYYY-MM-DD")
    parser.add_argument("--only-gaps", action="store_true",
                        help="only days whose coverage is not complete (see `newsarchive coverage`)")
    parser.add_argument("--refetch", action="store_true", help="fetch articles again even if already loaded")
    parser.set_defaults(handler=cmd_backfill)


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    """Run or resume one backfill job per source; report failed and unhealthy days."""
    from etl.steps import backfill

    today = datetime.now(settings.timezone).date()
    requests = [backfill.BackfillRequest(name, args.start, args.end, args.only_gaps, args.refetch)
                for name in source_names(args.source)]
    for request in requests:
        backfill.validate(request, today)
    results = backfill.run_sources(settings, requests, stream=backfill.default_stream())
    sys.stdout.write(json.dumps({name: result.as_json() for name, result in results.items()},
                                ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    problems = backfill.problem_lines(results)
    if problems:
        sys.stderr.write("newsarchive: " + "\n".join(problems) + "\n")
    return 1 if problems else 0
