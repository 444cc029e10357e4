"""Bulk mode: search indexes dropped with a record, built again from the recorded definition however it ends."""

from __future__ import annotations

import dataclasses
from datetime import date
from types import MappingProxyType

import pytest
from ops_support import reset, wire

from etl.core.config import Settings, parse_host_overrides
from etl.dev.local import replay_overrides
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.steps import backfill
from etl.store import bulk
from etl.store.db import raw_connection

pytestmark = pytest.mark.integration


def _definitions(url: str) -> dict[str, str]:
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'articles'")
        return dict(cur.fetchall())


class Boom(Exception):
    """Stands for anything failing inside the bulk block."""


def test_indexes_dropped_inside_and_built_again_however_the_block_ends(settings: Settings) -> None:
    url = settings.require_database_url()
    before = _definitions(url)
    assert set(bulk.SEARCH_INDEXES) <= set(before)
    with bulk.search_indexes_deferred(url) as active:
        assert active
        assert bulk.pending(url) == sorted(bulk.SEARCH_INDEXES)
        assert set(_definitions(url)) == set(before) - set(bulk.SEARCH_INDEXES)
    assert _definitions(url) == before and bulk.pending(url) == []
    with pytest.raises(Boom), bulk.search_indexes_deferred(url):
        raise Boom
    assert _definitions(url) == before and bulk.pending(url) == []


def test_indexes_a_dead_bulk_import_left_dropped_are_built_on_the_next_start(settings: Settings) -> None:
    url = settings.require_database_url()
    before = _definitions(url)
    try:
        assert bulk.defer(url) == sorted(bulk.SEARCH_INDEXES)  # the process dies here
        assert bulk.pending(url) == sorted(bulk.SEARCH_INDEXES)
        with bulk.search_indexes_deferred(url, enabled=False) as active:
            assert not active
            assert _definitions(url) == before and bulk.pending(url) == []
    finally:
        bulk.restore(url)
    assert _definitions(url) == before


def test_long_backfill_runs_in_bulk_mode(settings: Settings) -> None:
    url = settings.require_database_url()
    reset(settings)
    before = _definitions(url)
    seen: dict[str, list[str]] = {}

    def during(day: date, step: str, run_id: int) -> None:
        seen[step] = bulk.pending(url)

    request = backfill.BackfillRequest("kazinform", date(2025, 12, 31), date(2025, 12, 31))
    try:
        with ReplayServer(DEFAULT_ROOT) as replay:
            wired = dataclasses.replace(wire(settings, replay), bulk_load_days=1)
            result = backfill.run(wired, request, on_step=during)
    finally:
        bulk.restore(url)
    assert result.done == [date(2025, 12, 31)] and not result.failed
    assert seen["load"] == sorted(bulk.SEARCH_INDEXES)
    assert _definitions(url) == before and bulk.pending(url) == []
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles")
        assert cur.fetchone()[0] > 0


@pytest.mark.integration
def test_a_backfill_of_several_sources_builds_the_indexes_once(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`backfill --source a,b`: bulk mode spans every source's job, so the indexes are built again once, after the
    last source (not after the first while the others still load)."""
    url = settings.require_database_url()
    reset(settings)
    dropped: list[list[str]] = []
    real_defer = bulk.defer
    monkeypatch.setattr(bulk, "defer", lambda database_url: dropped.append(real_defer(database_url)) or dropped[-1])
    day = date(2025, 12, 31)
    requests = [backfill.BackfillRequest(name, day, day) for name in ("kazinform", "tengrinews")]
    try:
        with ReplayServer(DEFAULT_ROOT) as replay:
            wired = dataclasses.replace(wire(settings, replay), bulk_load_days=1, crawl_parallel=1,
                                        host_overrides=MappingProxyType(parse_host_overrides(
                                            replay_overrides(replay.base_url))))
            results = backfill.run_sources(wired, requests)
    finally:
        bulk.restore(url)
    assert all(result.done == [day] and not result.failed for result in results.values()), results
    assert dropped == [sorted(bulk.SEARCH_INDEXES)]
    assert bulk.pending(url) == []
