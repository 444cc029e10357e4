"""The reporting steps of a finished run: its summary (and coverage ledger row), then its health verdict.

Reads (through Settings): DATABASE_URL.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from etl.core.config import Settings
from etl.store import coverage, health, runs

log = logging.getLogger(__name__)

_KEEP = ("discovered", "fetched", "skipped_known", "out_of_interval", "blocked", "failed", "non_article",
         "extracted", "extract_errors", "fallback_used", "loaded_new", "loaded_updated", "unchanged",
         "duplicates", "new_versions", "near_duplicates", "warc_key", "manifest_key", "staged_key")


def summarize(settings: Settings, run_id: int) -> dict[str, Any]:
    """The run's counts and keys (what the CLI prints), after refreshing the coverage ledger rows of its day and of
    the days whose articles its articles are now the originals of."""
    run = runs.get_run(settings.require_database_url(), run_id)
    summary = {name: run.counts[name] for name in _KEEP if name in run.counts}
    summary.update(run_id=run.id, run_key=run.run_key, source=run.source, date=run.partition_date.isoformat(),
                   status=run.status)
    coverage.refresh_linked(settings.require_database_url(), run.id)
    log.info("run %s: %s", run.run_key, json.dumps(summary, ensure_ascii=False, sort_keys=True))
    return summary


def check_health(settings: Settings, run_id: int) -> dict[str, Any]:
    """The health verdict of the run's source and day against its baseline (stored in the ledger)."""
    run = runs.get_run(settings.require_database_url(), run_id)
    verdict = health.check_day(settings, run.source, run.partition_date)
    return {"run_id": run_id, "healthy": verdict.healthy, "health": verdict.status, "message": verdict.message}
