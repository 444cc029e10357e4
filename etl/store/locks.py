"""Pipeline locks as rows of `pipeline_locks` (migration 0013), each owned by a live database session.

Reads DATABASE_URL (passed in). A lock is taken by inserting its row from a connection kept open while it is
held; the row names that connection's server process (pid and start time), so a holder that dies frees its
locks with its connection, and the next taker simply replaces a row whose session is gone. The read-only role
`newsarchive_reader` cannot write the table, so (unlike advisory locks) it can neither take nor hold a lock.
Lock names: `day:<source>:<YYYY-MM-DD>` (crawling or finishing one source's day), `run:<id>` (a step of a
run), `backfill-job:<id>` (one process per backfill job).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import psycopg2

from etl.core.errors import PipelineError

log = logging.getLogger(__name__)

_ALIVE = """EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.backend_pid
                    AND (a.backend_start = l.backend_start OR a.backend_start IS NULL))"""
_TAKE = f"""
INSERT INTO pipeline_locks AS l (name, holder, backend_pid, backend_start)
SELECT %(name)s, %(holder)s, a.pid, a.backend_start FROM pg_stat_activity a WHERE a.pid = pg_backend_pid()
ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, backend_pid = EXCLUDED.backend_pid,
    backend_start = EXCLUDED.backend_start, taken_at = now()
WHERE NOT {_ALIVE}
RETURNING name
"""
_HOLDER = f"SELECT holder, taken_at FROM pipeline_locks l WHERE name = %s AND {_ALIVE}"


_IDLE_NAME = "newsarchive-lock (idle)"
_MAX_IDLE = 4
_idle: dict[tuple[str, int], list[psycopg2.extensions.connection]] = {}
_idle_lock = threading.Lock()


def _take(dsn: str, name: str) -> tuple[psycopg2.extensions.connection, bool]:
    """Try to take lock `name`: (its autocommit connection, taken?). The connection is an idle one this process
    released before when there is one that still works (connecting costs ~10 ms, and a pipeline day takes a
    dozen locks), else a new one."""
    params = {"name": name, "holder": f"{socket.gethostname()} pid {os.getpid()}", "app": f"newsarchive-lock {name}"[:63]}
    while True:
        with _idle_lock:
            pool = _idle.get((dsn, os.getpid()), [])
            conn = pool.pop() if pool else None
        reused = conn is not None
        if conn is None:
            conn = psycopg2.connect(dsn, connect_timeout=10, application_name=params["app"])
            conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SET application_name = %(app)s;" + _TAKE, params)
                return conn, cur.fetchone() is not None
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            conn.close()
            if not reused:  # a kept connection the server dropped meanwhile: try the next one, or a new one
                raise


def _keep(dsn: str, conn: psycopg2.extensions.connection) -> None:
    """Keep a connection that holds no lock any more for the next lock (closed when enough are kept)."""
    with _idle_lock:
        pool = _idle.setdefault((dsn, os.getpid()), [])
        if len(pool) < _MAX_IDLE and not conn.closed:
            pool.append(conn)
            return
    conn.close()


class LockBusy(PipelineError):
    """Another live process holds the lock."""


def day_lock(source: str, day: date) -> str:
    """The lock name of one source's local day."""
    return f"day:{source}:{day.isoformat()}"


def run_lock(run_id: int) -> str:
    """The lock name of one crawl run."""
    return f"run:{run_id}"


@contextmanager
def held(database_url: str, name: str, what: str) -> Iterator[None]:
    """Hold lock `name` while the block runs; LockBusy ("`what` is busy: ...") when a live process holds it."""
    dsn = database_url.replace("postgresql+psycopg2://", "postgresql://", 1)
    conn, taken = _take(dsn, name)
    released = False
    try:
        with conn.cursor() as cur:
            if not taken:
                cur.execute(_HOLDER, (name,))
                row = cur.fetchone()
                by = f"{row[0]} since {row[1]:%Y-%m-%d %H:%M:%S %Z}" if row else "another process"
                raise LockBusy(f"{what} is busy: {by} holds {name}; wait for it to finish")
        log.debug("took lock %s", name)
        try:
            yield
        finally:
            released = _release(conn, name)
    except psycopg2.Error:
        released = False
        raise
    finally:
        if released:
            _keep(dsn, conn)
        else:
            conn.close()  # frees the lock even when the release failed: the row's session is gone


def _release(conn: psycopg2.extensions.connection, name: str) -> bool:
    """Delete the lock's row; False when that failed (the caller then closes the connection, which frees it)."""
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM pipeline_locks WHERE name = %s AND backend_pid = pg_backend_pid();"
                        "SET application_name = %s", (name, _IDLE_NAME))
        return True
    except psycopg2.Error as exc:
        log.debug("could not delete lock %s (%s); it is free once this connection closes", name, exc)
        return False


def is_held(database_url: str, name: str) -> bool:
    """True when a live process holds lock `name`."""
    dsn = database_url.replace("postgresql+psycopg2://", "postgresql://", 1)
    with psycopg2.connect(dsn, connect_timeout=10) as conn, conn.cursor() as cur:
        cur.execute(_HOLDER, (name,))
        found = cur.fetchone() is not None
    conn.close()
    return found
