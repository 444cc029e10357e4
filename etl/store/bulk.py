"""Bulk mode for large imports: the search indexes are dropped while rows load and built once afterwards.

Reads DATABASE_URL (passed in); `backfill` enters it for ranges of NEWSARCHIVE_BULK_LOAD_DAYS days or more.
Building a GIN index over many rows at once is much cheaper than adding each row's entries as it loads.
Nothing here re-types an index: each definition is read from the catalogue (the migrations created the index)
and recorded in `deferred_indexes` (migration 0017) in the transaction that drops the index. A bulk import
that dies leaves those rows behind, so the missing indexes are never unnoticed: `restore()` builds every
recorded index (each in one transaction with the deletion of its row), and every backfill runs it first.
One process at a time is in bulk mode (the `bulk-load` pipeline lock); while it is, searches still answer,
only without the dropped indexes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from psycopg2 import sql

from etl.store import locks
from etl.store.db import raw_connection

log = logging.getLogger(__name__)

#: The indexes bulk mode defers (created by migrations 0004 and 0016).
SEARCH_INDEXES: tuple[str, ...] = ("articles_search_vector", "articles_search_trgm")
LOCK = "bulk-load"
#: Memory for one index build (a session setting of the building connection only).
BUILD_MEMORY = "256MB"


def pending(database_url: str) -> list[str]:
    """Names of the indexes dropped by a bulk import and not built again yet."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT name FROM deferred_indexes ORDER BY name")
        return [name for (name,) in cur.fetchall()]


def defer(database_url: str, names: tuple[str, ...] = SEARCH_INDEXES) -> list[str]:
    """Record and drop the named indexes of `articles` in one transaction; return the names now deferred."""
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT indexname, tablename, indexdef FROM pg_indexes
                       WHERE schemaname = current_schema() AND indexname = ANY(%s)""", (list(names),))
        for name, table, definition in cur.fetchall():
            cur.execute("""INSERT INTO deferred_indexes (name, table_name, definition) VALUES (%s, %s, %s)
                           ON CONFLICT (name) DO UPDATE SET table_name = EXCLUDED.table_name,
                               definition = EXCLUDED.definition, dropped_at = now()""", (name, table, definition))
            cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
        cur.execute("SELECT name FROM deferred_indexes ORDER BY name")
        return [name for (name,) in cur.fetchall()]


def restore(database_url: str) -> list[str]:
    """Build every recorded index again (each with the deletion of its record, in one transaction)."""
    built = []
    for name in pending(database_url):
        began = time.monotonic()
        with raw_connection(database_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT set_config('maintenance_work_mem', %s, true)", (BUILD_MEMORY,))
            cur.execute("SELECT definition FROM deferred_indexes WHERE name = %s FOR UPDATE", (name,))
            row = cur.fetchone()
            if row is None:  # another process built it meanwhile
                continue
            # The definition is the server's own text for an index it had (pg_indexes), not user input.
            cur.execute(row[0])
            cur.execute("DELETE FROM deferred_indexes WHERE name = %s", (name,))
        built.append(name)
        log.info("built index %s again in %.1f s", name, time.monotonic() - began)
    return built


@contextmanager
def search_indexes_deferred(database_url: str, enabled: bool = True) -> Iterator[bool]:
    """Run the block in bulk mode (True) when `enabled` and no other process is; the search indexes are built
    again when it ends, however it ends. Disabled or busy: indexes a dead bulk import left dropped are built
    first, and the block runs in normal mode (False)."""
    with ExitStack() as stack:
        try:
            stack.enter_context(locks.held(database_url, LOCK, "bulk mode"))
        except locks.LockBusy as exc:
            log.info("not entering bulk mode: %s", exc)
            yield False
            return
        if not enabled:
            restore(database_url)  # what a dead bulk import left behind
            yield False
            return
        deferred = defer(database_url)  # those a dead bulk import left dropped stay dropped until the end
        log.info("bulk mode: indexes %s dropped until the import ends", ", ".join(deferred) or "(none)")
        try:
            yield True
        finally:
            restore(database_url)
