"""Failed items of a run (`run_failures`, migration 0015): an article that could not be extracted or loaded.

Reads DATABASE_URL (passed in). Recording a step's failures replaces what an earlier attempt of the same step
recorded, and sets the run's `extract_errors` column (its failed items, both steps) and `failed_items` count,
so a re-run is idempotent and the coverage ledger shows the count.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from etl.store.db import raw_connection

log = logging.getLogger(__name__)

STEPS = ("extract", "load")
MAX_REASON = 1000

_COUNT = """
UPDATE crawl_runs SET extract_errors = f.n, counts = counts || jsonb_build_object('failed_items', f.n)
FROM (SELECT count(*) AS n FROM run_failures WHERE crawl_run_id = %(run)s) f
WHERE id = %(run)s
"""


@dataclass(frozen=True)
class Failure:
    """One article that a step could not handle: its URL, where its response is, and why (one line)."""

    url: str
    reason: str
    warc_key: str | None = None
    warc_offset: int | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready form (run counts, reports)."""
        return {"url": self.url, "reason": self.reason, "warc_offset": self.warc_offset}


def record(cur: Any, run_id: int, step: str, items: Sequence[Failure]) -> None:
    """Replace the run's failures of `step` by `items` on the open cursor `cur` (the caller's transaction)."""
    if step not in STEPS:
        raise ValueError(f"unknown step {step!r}")
    cur.execute("DELETE FROM run_failures WHERE crawl_run_id = %s AND step = %s", (run_id, step))
    for item in {f.url: f for f in items}.values():
        cur.execute(
            """INSERT INTO run_failures (crawl_run_id, step, url, warc_key, warc_offset, reason)
               VALUES (%s, %s, %s, %s, %s, %s)""",
            (run_id, step, item.url, item.warc_key, item.warc_offset, item.reason[:MAX_REASON]),
        )
    cur.execute(_COUNT, {"run": run_id})
    for item in items:
        log.warning("run %s: %s failed for %s: %s", run_id, step, item.url, item.reason)


def record_failures(database_url: str, run_id: int, step: str, items: Sequence[Failure]) -> None:
    """`record` in a transaction of its own."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        record(cur, run_id, step, items)


def of_run(database_url: str, run_id: int) -> list[dict[str, Any]]:
    """The run's failed items, in step and URL order."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT step, url, warc_offset, reason FROM run_failures WHERE crawl_run_id = %s
                       ORDER BY step, url""", (run_id,))
        return [{"step": s, "url": u, "warc_offset": o, "reason": r} for s, u, o, r in cur.fetchall()]
