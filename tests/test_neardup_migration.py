"""Migration 0019 packs the LSH index per article: band rows of an archive indexed before it move into
`minhash_lsh` unchanged, so its signatures stay valid (nothing is indexed again) and its links stay found."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg2
import pytest
from test_migrate import empty_db  # noqa: F401  (a fresh database to migrate)
from test_neardup_link import OTHER, REPUBLISHED, STORY, _links, _row, _run

from etl.store.db import raw_connection
from etl.store.load import load_rows
from etl.store.migrate import MIGRATIONS_DIR, migrate
from etl.store.neardup_link import link_near_duplicates
from etl.transform import neardup

pytestmark = pytest.mark.integration


def _old_index(cur: psycopg2.extensions.cursor, pk: int, text: str, bands: int = neardup.BANDS) -> list[int]:
    """Index one article the way the code before migration 0019 did (64 band rows); its band keys."""
    sig = neardup.signature(neardup.shingles(text))
    cur.execute("INSERT INTO minhash_signatures (article_pk, params, content_hash, signature) "
                "SELECT id, %s, content_hash, %s FROM articles WHERE id = %s",
                (neardup.PARAMS, sig.astype("<u4").tobytes(), pk))
    buckets = neardup.band_buckets(sig)
    for band, bucket in enumerate(buckets[:bands]):
        cur.execute("INSERT INTO minhash_bands (band, bucket, article_pk) VALUES (%s, %s, %s)", (band, bucket, pk))
    return buckets


def test_band_rows_move_into_one_row_per_article_and_stay_valid(empty_db: str, tmp_path: Path) -> None:  # noqa: F811
    before = tmp_path / "before"
    before.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if int(path.name[:4]) < 19:
            shutil.copy(path, before)
    migrate(empty_db, before)
    run_id = _run(empty_db, "raw/1.warc.gz")
    load_rows(empty_db, [_row(run_id, "raw/1.warc.gz", "orig01", STORY, "2025-12-31T10:00:00+00:00"),
                         _row(run_id, "raw/1.warc.gz", "other1", OTHER, "2025-12-31T11:00:00+00:00"),
                         _row(run_id, "raw/1.warc.gz", "broken", OTHER[:1], "2025-12-31T12:00:00+00:00")])
    with raw_connection(empty_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT article_id, id, normalized_body FROM articles")
        articles = {article_id: (pk, text) for article_id, pk, text in cur.fetchall()}
        expected = {articles[name][0]: _old_index(cur, *articles[name]) for name in ("orig01", "other1")}
        _old_index(cur, *articles["broken"], bands=10)  # an index write that never finished

    migrate(empty_db)
    with psycopg2.connect(empty_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM minhash_lsh ORDER BY article_pk")
        assert {pk: list(keys) for pk, *keys in cur.fetchall()} == expected
        cur.execute("SELECT to_regclass('minhash_bands'), (SELECT count(*) FROM minhash_signatures)")
        assert cur.fetchone() == (None, 2)  # the unfinished one is indexed afresh when next linked

    run_two = _run(empty_db, "raw/2.warc.gz")
    load_rows(empty_db, [_row(run_two, "raw/2.warc.gz", "repub1", REPUBLISHED, "2026-01-01T09:00:00+00:00")])
    with raw_connection(empty_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM articles ORDER BY id")
        result = link_near_duplicates(cur, [pk for (pk,) in cur.fetchall()])
    assert result.indexed == 2  # the new article and the unfinished one; migrated signatures are still current
    assert _links(empty_db)["repub1"][:2] == ("orig01", "near")
