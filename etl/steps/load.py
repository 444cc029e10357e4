"""The load step: upsert a run's staged articles into PostgreSQL in one transaction (etl/store/load.py).

Reads (through Settings): DATABASE_URL and the S3 settings.
"""

from __future__ import annotations

from typing import Any

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.store import archive, runs
from etl.store.load import load_rows


def load_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Load the run's staged rows: versions kept, exact duplicates linked, counts recorded on the run."""
    database_url = settings.require_database_url()
    run = runs.get_run(database_url, run_id)
    key = run.counts.get("staged_key")
    if not key:
        raise PipelineError(f"run {run.run_key} has no staged articles yet; run the extract step first")
    result = load_rows(database_url, archive.get_staged(settings, key), run_id=run.id)
    return {"run_id": run.id, **result.as_counts()}
