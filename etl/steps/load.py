"""The database steps: load a run's staged articles in one transaction (etl/store/load.py), then link them to
their near-duplicates anywhere in the archive (MinHash index in PostgreSQL, etl/store/neardup_link.py).

Reads (through Settings): DATABASE_URL and the S3 settings. Running either step again changes nothing.
"""

from __future__ import annotations

from typing import Any

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.store import archive, runs
from etl.store.db import raw_connection
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


#: The run's articles, and the stored ones that became exact copies of them in its load (an earlier publication
#: that arrived after them: days finish in any order), which must leave the MinHash index as if never indexed.
_TO_LINK = """
SELECT id FROM articles WHERE crawl_run_id = %(run)s
UNION
SELECT c.id FROM articles c JOIN articles o ON o.id = c.duplicate_of
WHERE o.crawl_run_id = %(run)s AND c.duplicate_kind = 'exact'
ORDER BY 1"""


def link_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Index the run's articles (MinHash) and link them to their near-duplicates; counts go on the run."""
    from etl.store.neardup_link import link_near_duplicates

    database_url = settings.require_database_url()
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(_TO_LINK, {"run": run_id})
        result = link_near_duplicates(cur, [pk for (pk,) in cur.fetchall()])
    runs.update_run(database_url, run_id, counts=result.as_counts())
    return {"run_id": run_id, **result.as_counts()}
