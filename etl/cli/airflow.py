"""`newsarchive airflow run --day D [--to D2] [--reprocess] [--dry-run] [--wait]`: the `news_daily` runs that
archive the local days D..D2, created through Airflow's own backfill (etl.steps.airflow_runs) and run by the
scheduler.

Reads NEWSARCHIVE_TIMEZONE through Settings. The Airflow it talks to: the one configured in the environment
(AIRFLOW_HOME, AIRFLOW__*) or, when the archive is the embedded one, the local cluster of `make cluster` (when
it runs) or the local Airflow of `make airflow` under NEWSARCHIVE_STATE_DIR.
"""

from __future__ import annotations

import argparse
import sys

from etl.cli.args import date_arg
from etl.core.config import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `airflow` subcommand."""
    parser = sub.add_parser(
        "airflow", help="create news_daily runs for past local days through the Airflow scheduler",
        description="`airflow run --day D [--to D2]` creates, with Airflow's own `airflow backfill create` and "
        "explicit timestamps in NEWSARCHIVE_TIMEZONE, exactly the news_daily runs whose data interval starts on "
        "the local days D..D2 (one run per day), whatever the shell's time zone. The scheduler runs them.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser("run", help="create the runs of local days D..D2")
    run.add_argument("--day", required=True, type=date_arg, help="first local day, YYYY-MM-DD")
    run.add_argument("--to", type=date_arg, help="last local day, YYYY-MM-DD (default: --day)")
    run.add_argument("--reprocess", action="store_true",
                     help="run days again that already succeeded (default: only new and failed days)")
    run.add_argument("--max-active-runs", type=int, default=2, help="runs of this backfill at once (default 2)")
    run.add_argument("--dry-run", action="store_true", help="list the runs Airflow would create; create none")
    run.add_argument("--wait", action="store_true",
                     help="wait until every run has finished; exit status 1 if any failed")
    run.add_argument("--timeout", type=float, help="with --wait: give up after this many seconds (exit status 1)")
    run.set_defaults(handler=cmd_airflow_run)


def cmd_airflow_run(args: argparse.Namespace, settings: Settings) -> int:
    """Create (or list) the runs, print one line per day, optionally wait for them."""
    from etl.steps import airflow_runs

    env = _airflow_env(settings)
    last = args.to or args.day
    tz = settings.timezone
    if args.dry_run:
        runs = airflow_runs.planned_runs(args.day, last, tz, env, reprocess=args.reprocess)
    else:
        runs = airflow_runs.create_runs(args.day, last, tz, env, reprocess=args.reprocess,
                                        max_active_runs=args.max_active_runs)
        if args.wait:
            runs = airflow_runs.wait_for_runs(runs, env, timeout=args.timeout)
    for run in runs:
        sys.stdout.write(f"{run.day}  logical date {run.logical_date.isoformat()}  "
                         f"{run.run_id or '(dry run)'}  {run.state}".rstrip() + "\n")
    return 0 if not args.wait or all(run.state == "success" for run in runs) else 1


def _airflow_env(settings: Settings) -> dict[str, str] | None:
    """The local cluster's or local Airflow's environment when the archive is the embedded one; None: this
    process's own."""
    from etl.dev import cluster
    from etl.dev.cluster_env import cluster_env
    from etl.dev.local import local_airflow_env

    if any(item.name == "scheduler" and item.running for item in cluster.status(settings)):
        return cluster_env(settings)
    return local_airflow_env(settings)
