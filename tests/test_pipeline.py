"""End to end on the real embedded PostgreSQL + SeaweedFS and the replay site: crawl -> archive -> extract ->
load for Kazinform replay days; idempotent re-runs, republication links, versions, failures that lose nothing."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import psycopg2
import pytest

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.steps import pipeline
from etl.store import s3

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]
DAYS = json.loads((REPO / "fixtures" / "kazinform" / "days.json").read_text(encoding="utf-8"))


@pytest.fixture
def replay_root(tmp_path: Path) -> Path:
    """A private copy of the replay fixtures, so a test may change pages."""
    root = tmp_path / "replay"
    shutil.copytree(DEFAULT_ROOT, root)
    return root


@pytest.fixture
def replay(replay_root: Path) -> Iterator[ReplayServer]:
    with ReplayServer(replay_root) as server:
        yield server


@pytest.fixture
def wired(settings: Settings, replay: ReplayServer) -> Settings:
    """Settings that send kaz.inform.kz to the replay server, without delays (it is local)."""
    return dataclasses.replace(settings, host_overrides=MappingProxyType({"kaz.inform.kz": replay.base_url}),
                               download_delay=0.0)


def query(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def article_state(settings: Settings) -> list[tuple[Any, ...]]:
    return query(settings, """SELECT source, article_id, canonical_url, title, body, content_hash, published_at,
                                     duplicate_of, first_seen_at, last_seen_at, warc_key, warc_offset
                              FROM articles ORDER BY id""")


def s3_objects(settings: Settings) -> dict[str, str]:
    client = s3.client(settings)
    return {key: client.head_object(Bucket=settings.s3_bucket, Key=key)["ETag"]
            for key in s3.iter_keys(client, settings.s3_bucket, "raw/")}


def test_ingest_day_loads_every_article_and_rerun_changes_nothing(wired: Settings, replay: ReplayServer) -> None:
    day = "2026-01-01"
    first = pipeline.ingest_day(wired, "kazinform", date.fromisoformat(day))
    loaded = {row[0] for row in query(wired, "SELECT canonical_url FROM articles")}
    assert loaded == set(DAYS["days"][day]["articles"])
    assert first["loaded_new"] == len(DAYS["days"][day]["articles"])
    assert first["blocked"] >= 1 and first["failed"] >= 1
    assert first["status"] == "loaded"
    # Every article row points at a recorded, verified WARC.
    assert query(wired, "SELECT count(*) FROM articles a LEFT JOIN raw_archives r ON r.s3_key = a.warc_key "
                        "WHERE r.id IS NULL") == [(0,)]

    before_rows, before_objects = article_state(wired), s3_objects(wired)
    requests_before = len(replay.requests)
    second = pipeline.ingest_day(wired, "kazinform", date.fromisoformat(day))
    assert second["loaded_new"] == 0 and second["loaded_updated"] == 0
    assert second["fetched"] == 0, "no article response may be archived a second time"
    assert article_state(wired) == before_rows
    after_objects = s3_objects(wired)
    assert {k: v for k, v in after_objects.items() if k in before_objects} == before_objects
    loaded_paths = {url.split("kaz.inform.kz", 1)[1] for url in loaded}
    refetched = {path for _, _, path in replay.requests[requests_before:] if path in loaded_paths}
    assert refetched == set(), "already loaded articles were fetched again"


def test_republication_is_linked_to_the_original(wired: Settings) -> None:
    pipeline.ingest_day(wired, "kazinform", date(2025, 12, 31))
    second = pipeline.ingest_day(wired, "kazinform", date(2026, 1, 1))
    assert second["duplicates"] >= 1
    rows = query(wired, """SELECT a.article_id, o.article_id, a.duplicate_kind FROM articles a
                           JOIN articles o ON o.id = a.duplicate_of""")
    assert ("a70e5c", "c3c6b6", "exact") in rows


def test_updated_article_gets_exactly_one_new_version(wired: Settings, replay_root: Path) -> None:
    variant_url = next(iter(DAYS["variants"]))
    page = replay_root / "kaz.inform.kz" / variant_url.split("kaz.inform.kz/", 1)[1] / "index.html"
    updated = page.read_bytes()
    page.write_bytes((REPO / DAYS["variants"][variant_url]).read_bytes())  # serve version 1 first
    pipeline.ingest_day(wired, "kazinform", date(2026, 1, 1))
    page.write_bytes(updated)
    result = pipeline.ingest_day(wired, "kazinform", date(2026, 1, 1), refetch=True)
    assert result["loaded_updated"] == 1
    assert result["loaded_new"] == 0
    versions = query(wired, """SELECT count(*) FROM article_versions v JOIN articles a ON a.id = v.article_pk
                               WHERE a.canonical_url = %s""", (variant_url,))
    assert versions == [(2,)]
    assert query(wired, "SELECT count(*) FROM articles WHERE canonical_url = %s", (variant_url,)) == [(1,)]


def test_s3_down_fails_clearly_then_retry_succeeds(wired: Settings) -> None:
    broken = dataclasses.replace(wired, s3_endpoint_url="http://127.0.0.1:9")
    with pytest.raises(PipelineError, match="S3 failed"):
        pipeline.ingest_day(broken, "kazinform", date(2026, 1, 2))
    assert query(wired, "SELECT count(*) FROM articles") == [(0,)]
    assert query(wired, "SELECT status, error IS NOT NULL FROM crawl_runs") == [("failed", True)]
    result = pipeline.ingest_day(wired, "kazinform", date(2026, 1, 2))
    assert result["loaded_new"] == len(DAYS["days"]["2026-01-02"]["articles"])


def test_killed_crawl_fails_clearly_and_leaves_nothing(wired: Settings) -> None:
    impatient = dataclasses.replace(wired, crawl_timeout=0)
    with pytest.raises(PipelineError, match="crawl"):
        pipeline.crawl(impatient, "kazinform", date(2026, 1, 2))
    assert query(wired, "SELECT status FROM crawl_runs") == [("failed",)]
    assert s3_objects(wired) == {}
    assert query(wired, "SELECT count(*) FROM articles") == [(0,)]
    assert pipeline.ingest_day(wired, "kazinform", date(2026, 1, 2))["status"] == "loaded"


def test_broken_layout_falls_back_to_generic_and_counts_it(wired: Settings, replay_root: Path) -> None:
    for page in (replay_root / "kaz.inform.kz" / "news").glob("*/index.html"):
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("article__body-text", "story-text").replace("article__content", "story-box"),
                        encoding="utf-8")
    result = pipeline.ingest_day(wired, "kazinform", date(2026, 1, 2))
    assert result["extracted"] == len(DAYS["days"]["2026-01-02"]["articles"])
    assert result["fallback_used"] == result["extracted"]
    assert query(wired, "SELECT count(*) FROM articles WHERE extraction->>'body' = 'generic'") == [
        (result["extracted"],)]


def test_the_archive_step_reads_the_warc_from_s3_once(wired: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = pipeline.crawl(wired, "kazinform", date(2026, 1, 1))
    client = s3.client(wired)
    reads: list[str] = []  # each read of an object: a get_object, or a whole download (its own gets not counted)
    downloading: list[str] = []
    real_get, real_download = client.get_object, client.download_fileobj

    def get_object(**kwargs: Any) -> Any:
        if not downloading:
            reads.append(kwargs["Key"])
        return real_get(**kwargs)

    def download_fileobj(bucket: str, key: str, into: Any, **kwargs: Any) -> Any:
        reads.append(key)
        downloading.append(key)
        try:
            return real_download(bucket, key, into, **kwargs)
        finally:
            downloading.pop()

    monkeypatch.setattr(client, "get_object", get_object)
    monkeypatch.setattr(client, "download_fileobj", download_fileobj)
    out = pipeline.run_step(wired, "archive", run_id)
    assert out["captures"] > 0 and out["responses"] > 0
    assert [key for key in reads if key.endswith(".warc.gz")] == [out["warc_key"]]


def test_trafilatura_is_imported_only_when_a_page_needs_it() -> None:
    import subprocess
    import sys

    code = ("import sys, etl.cli.main, etl.sources, etl.steps.pipeline, etl.steps.backfill, scrapers.spiders; "
            "print('trafilatura' in sys.modules); "
            "from lxml.html import fromstring; from etl.extract.generic import extract_generic; "
            "page = fromstring('<html><body><article><p>' + 'Мәтін сөйлем. ' * 60 + '</p></article></body></html>'); "
            "print(bool(extract_generic(page, 'https://example.kz/a').paragraphs), 'trafilatura' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.split() == ["False", "True", "True"]
