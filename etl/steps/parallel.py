"""Work on several sources at once, their crawls side by side in one crawl process (scrapers.run.crawl_session).

Sources are grouped so that no two groups share a host; a group's sources run one after another in one thread,
so per-host politeness (the spec's concurrency_per_host, delay, robots, AutoThrottle) holds across crawls, and a
source never has two crawls at once. With crawl_parallel 1 (or a single group) everything runs in the caller's
thread, one source after another, as before. Else each thread does all of its
sources' work (crawl, archive, extract, load, ...): while one source's crawl runs, others are loaded. Two loads,
in this process or any other, never race on the same content hash: etl/store/load.py takes the links' database lock
from the link decision to commit.
A signal (SIGINT, or SIGTERM: `pipeline.interruptible`) in the calling thread stops the crawl process; the
crawls still running raise KeyboardInterrupt in their threads (their runs are recorded `interrupted`), the other
threads stop before their next step (`check`), and the signal is raised again once every thread has ended.

`ingest_sources` is `newsarchive ingest --source a,b`: one day of several sources this way.

Reads (through Settings): crawl_parallel, and what scrapers.run.crawl_session reads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import date
from typing import Any, TypeVar

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.sources import get_source
from etl.steps.pipeline import Interrupted, first_line, ingest_day, interruptible
from scrapers.run import crawl_session, in_session

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[str, threading.Event], T]


def host_groups(names: list[str]) -> list[list[str]]:
    """The sources in groups that share no host with each other (each group in the order given, groups in the
    order of their first source)."""
    groups: list[tuple[set[str], list[str]]] = []
    for name in names:
        hosts = set(get_source(name).hosts)
        joined = [group for group in groups if group[0] & hosts]
        if not joined:
            groups.append((hosts, [name]))
            continue
        first = joined[0]
        for other in joined[1:]:
            first[0].update(other[0])
            first[1].extend(other[1])
            groups.remove(other)
        first[0].update(hosts)
        first[1].append(name)
    return [sorted(group[1], key=names.index) for group in groups]


def check(cancel: threading.Event) -> None:
    """Raise Interrupted when the work was cancelled (call it between steps)."""
    if cancel.is_set():
        raise Interrupted("cancelled: the command was interrupted")


def per_source(settings: Settings, names: list[str], work: Work[T]) -> dict[str, T]:
    """`work(name, cancel)` for every source inside one crawl session, groups sharing no host at the same time
    (their crawls up to settings.crawl_parallel at once); returns each result by name. The first error of a
    thread (in source order) is raised once every thread has ended."""
    groups = host_groups(names)
    workers = len(groups) if settings.crawl_parallel > 1 else 1
    cancel = threading.Event()
    with interruptible(), crawl_session(settings) as session:
        if workers <= 1:
            return {name: work(name, cancel) for name in names}
        log.info("%d sources in %d threads, their crawls up to %d at once", len(names), workers,
                 settings.crawl_parallel)
        runner = in_session(session)

        def group_work(group: list[str]) -> dict[str, T]:
            return runner(lambda: {name: work(name, cancel) for name in group})

        with ThreadPoolExecutor(workers, thread_name_prefix="source") as pool:
            futures: list[Future[dict[str, T]]] = [pool.submit(group_work, group) for group in groups]
            try:
                wait(futures)
            except BaseException as exc:
                why = str(exc) or type(exc).__name__
                log.error("interrupted (%s): stopping the crawls, letting every source end its step", why)
                cancel.set()
                session.interrupt(why)
                wait(futures)
                raise
        results: dict[str, T] = {}
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error
            results.update(future.result())
    return {name: results[name] for name in names}


def ingest_sources(settings: Settings, sources: list[str], day: date, *, refetch: bool = False,
                   trigger: str = "cli", today: date | None = None) -> dict[str, dict[str, Any]]:
    """`pipeline.ingest_day` for each source in this process with one crawl process for all, sources sharing no
    host at the same time; a source whose day fails is reported as {"error": one line} and the others go on."""

    def one(name: str, cancel: threading.Event) -> dict[str, Any]:
        try:
            return ingest_day(settings, name, day, refetch=refetch, trigger=trigger, today=today,
                              before=lambda step: check(cancel))
        except PipelineError as exc:
            log.error("ingest %s %s failed: %s", name, day, first_line(exc))
            return {"error": first_line(exc)}

    return per_source(settings, sources, one)
