"""The near-duplicate step: link a run's articles to near-duplicates anywhere in the archive.

Reads (through Settings): DATABASE_URL. The MinHash index and the links live in PostgreSQL
(etl/store/neardup_link.py); running the step again on the same run changes nothing.
"""

from __future__ import annotations

from typing import Any

from etl.core.config import Settings
from etl.store import runs
from etl.store.db import raw_connection


def link_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Index the run's articles (MinHash) and link them to their near-duplicates; counts go on the run."""
    from etl.store.neardup_link import link_near_duplicates

    database_url = settings.require_database_url()
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM articles WHERE crawl_run_id = %s ORDER BY id", (run_id,))
        result = link_near_duplicates(cur, [pk for (pk,) in cur.fetchall()])
    runs.update_run(database_url, run_id, counts=result.as_counts())
    return {"run_id": run_id, **result.as_counts()}
