"""Fixed cost per extra source-day inside one backfill run: one crawl process per run vs one per source-day.

Method. Embedded PostgreSQL + SeaweedFS and the offline replay site (all on 127.0.0.1), politeness delays off.
The data is the replay site as shipped (fixtures/replay: 3 days, 2025-12-31..2026-01-02, of every source),
not chosen or tuned for this benchmark. First every source-day of the set is backfilled once (its articles
loaded: the "first pass", timed per source-day for both paths in full mode). Then the same days are backfilled
again as new jobs: each source-day is crawled again (robots, feeds, listings, sitemaps answered; every article
already archived, so skipped as known) and goes through archive, extract, load, near-dup, summary and health
with nothing new. That second pass is nearly all fixed cost. It is timed for a small set (the first source's 3
days, k source-days) and a large one (every source's 3 days, k+m), each in one call like `newsarchive backfill
--source A,B,...`; the fixed cost per extra source-day is the slope (T(k+m) - T(k)) / m, which leaves out what
a run pays once (starting the crawl process, first imports, the language detector) and hides nothing per day.
Both paths run side by side in the same process on the same services: `one_crawl_process=True` (one
long-lived crawl process for the whole call, the default) and `False` (a fresh `scrapy crawl` per source-day,
as before). The target is the new path's slope; the old path's is its baseline. Sources: the registered ones
in registry order (azattyq, egemen, kazinform, ... ; quick mode: the first 3, one round; full: all 8, the
slope the median of 2 rounds; full mode also times the first pass through the old path, on its own bucket).
The machine is shared: the figures move with its load (report it next to them).

Usage: .venv/bin/python benchmarks/bench_fixed.py [--quick] [--rounds N]
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from types import MappingProxyType

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.targets import Target  # noqa: E402
from etl.core.config import Settings, parse_host_overrides  # noqa: E402
from etl.dev.local import replay_overrides  # noqa: E402
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer  # noqa: E402
from etl.dev.services import manager  # noqa: E402
from etl.sources import enabled_sources  # noqa: E402
from etl.steps import backfill  # noqa: E402
from scrapers.run import crawl_session  # noqa: E402

START, END = date(2025, 12, 31), date(2026, 1, 2)
DAYS = (END - START).days + 1


def _wired(settings: Settings, replay: ReplayServer) -> Settings:
    overrides = parse_host_overrides(replay_overrides(replay.base_url))
    return dataclasses.replace(settings, host_overrides=MappingProxyType(overrides), download_delay=0.0,
                               backoff=0.0, block_backoff=0.0)


def backfill_sources(settings: Settings, sources: list[str], one_process: bool) -> tuple[float, int]:
    """Backfill START..END of every source in one call (as the CLI does); (seconds, failed days)."""
    began = time.perf_counter()
    failed = 0
    with crawl_session(settings) if one_process else _no_session():
        for name in sources:
            result = backfill.run(settings, backfill.BackfillRequest(name, START, END), one_crawl_process=one_process)
            failed += len(result.failed)
    return time.perf_counter() - began, failed


class _no_session:  # noqa: N801 - a null context, named for what it means here
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def measure(quick: bool, rounds: int | None = None) -> dict[str, float]:
    """Run both passes for both paths; return the figures (seconds)."""
    names = [s.name for s in enabled_sources()]
    large = names[:3] if quick else names
    small = names[:1]
    rounds = rounds or (1 if quick else 2)
    figures: dict[str, float] = {}
    with manager.ephemeral("newsarchive-bench-fixed-") as services, ReplayServer(DEFAULT_ROOT) as replay:
        settings = _wired(services, replay)
        if not quick:  # the first pass through the old path, on its own bucket and an emptied archive
            from etl.store import s3
            from etl.store.db import raw_connection

            old_bucket = dataclasses.replace(settings, s3_bucket=settings.s3_bucket + "-old")
            s3.ensure_bucket(old_bucket)
            seconds, _ = backfill_sources(old_bucket, large, one_process=False)
            figures["first_pass_old_per_source_day"] = seconds / (len(large) * DAYS)
            with raw_connection(settings.require_database_url()) as conn, conn.cursor() as cur:
                cur.execute("TRUNCATE backfill_jobs, backfill_days, coverage, article_aliases, article_versions, "
                            "articles, raw_archives, crawl_runs RESTART IDENTITY CASCADE")
        seconds, failed = backfill_sources(settings, large, one_process=True)
        figures["first_pass_new_per_source_day"] = seconds / (len(large) * DAYS)
        figures["first_pass_failed_days"] = failed
        slopes: dict[bool, list[float]] = {True: [], False: []}
        per_day: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(rounds):
            for one_process in (False, True):  # side by side, alternating
                t_small, _ = backfill_sources(settings, small, one_process)
                t_large, _ = backfill_sources(settings, large, one_process)
                k, km = len(small) * DAYS, len(large) * DAYS
                slopes[one_process].append((t_large - t_small) / (km - k))
                per_day[one_process].append(t_large / km)
        figures["slope_new"] = statistics.median(slopes[True])
        figures["slope_old"] = statistics.median(slopes[False])
        figures["second_pass_new_per_source_day"] = statistics.median(per_day[True])
        figures["second_pass_old_per_source_day"] = statistics.median(per_day[False])
        figures["source_days_small"] = len(small) * DAYS
        figures["source_days_large"] = len(large) * DAYS
    return figures


def targets(quick: bool) -> list[Target]:
    """The target `fixed_cost_per_source_day` (seconds per extra source-day, new path; old path as baseline)."""
    figures = measure(quick)
    shown = {name: f"{value:.3f}" if isinstance(value, float) else str(value) for name, value in figures.items()}
    return [Target(
        "fixed_cost_per_source_day", figures["slope_new"], 0.3, unit=" s", lower_is_better=True,
        detail=(f"slope of a re-backfill (articles already archived) over {figures['source_days_small']:g} vs "
                f"{figures['source_days_large']:g} replay source-days: {figures['slope_new']:.2f} s with one crawl "
                f"process per run vs {figures['slope_old']:.2f} s with one per source-day "
                f"({figures['slope_old'] / figures['slope_new']:.1f}x)"),
        figures=shown,
    )]


def main() -> int:
    """Measure and print the figures and the target line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 sources, one round (1-2 minutes)")
    args = parser.parse_args()
    for target in targets(args.quick):
        for name, value in target.figures.items():
            print(f"{name:34} {value}")
        print(target.detail)
        print(target.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
