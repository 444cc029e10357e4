"""Load: COPY + ON CONFLICT is idempotent, keeps versions, links exact duplicates to the earliest original."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import psycopg2
import pytest

from etl.core.config import Settings
from etl.store import runs
from etl.store.load import copy_stream, load_rows

pytestmark = pytest.mark.integration
UTC5 = timezone(timedelta(hours=5))


def _run_with_archive(url: str, key: str) -> int:
    start = datetime(2026, 1, 1, tzinfo=UTC5)
    run = runs.create_run(url, "kazinform", date(2026, 1, 1), start, start + timedelta(days=1), refetch=False,
                          trigger="test")
    runs.record_archive(url, run.id, key, key + ".manifest", "0" * 64, 10, 2, 1)
    return run.id


def _row(run_id: int, key: str, article_id: str, body: str, published: str, **extra: Any) -> dict[str, Any]:
    import hashlib

    return {
        "source": "kazinform", "article_id": article_id, "url": f"https://kaz.inform.kz/news/x-{article_id}/",
        "canonical_url": f"https://kaz.inform.kz/news/x-{article_id}/", "language": "kk",
        "title": extra.get("title", "Тақырып\tқойындымен"), "published_at": published, "published_raw": published,
        "modified_at": None, "body": body, "dateline_place": "АСТАНА", "author": None,
        "tags": ["экономика", "ауа райы"], "image_url": None,
        "content_hash": hashlib.sha256(body.encode()).hexdigest(), "warc_key": key, "warc_offset": 100,
        "warc_record_id": "<urn:uuid:1>", "extractor_version": "test-1", "extraction": {"body": "selectors"},
        "fetched_at": extra.get("fetched_at", "2026-01-02T00:00:00+00:00"), "crawl_run_id": run_id,
    }


def _snapshot(url: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT id, article_id, title, body, content_hash, tags, duplicate_of, duplicate_kind,
                              first_seen_at, last_seen_at, (SELECT count(*) FROM article_versions v WHERE v.article_pk = a.id)
                       FROM articles a ORDER BY id""")
        return cur.fetchall()


def test_copy_stream_escapes_and_nulls() -> None:
    line = copy_stream([{"source": "a\tb", "title": "x\ny\\z", "tags": ["қ"], "author": None}]).read()
    fields = line.rstrip("\n").split("\t")
    assert fields[0] == "a\\tb"
    assert fields[5] == "x\\ny\\\\z"
    assert fields[11] == "\\N"
    assert fields[12] == '["қ"]'


def test_load_twice_changes_nothing(settings: Settings) -> None:
    url = settings.require_database_url()
    run_id = _run_with_archive(url, "raw/a.warc.gz")
    rows = [_row(run_id, "raw/a.warc.gz", f"a{i:05x}", f"Мәтін {i}\nЕкінші абзац «тырнақша» – сызықша",
                 "2026-01-01T04:00:00+00:00") for i in range(5)]
    first = load_rows(url, rows, run_id=run_id)
    assert (first.new, first.updated, first.unchanged, first.new_versions) == (5, 0, 0, 5)
    before = _snapshot(url)
    second = load_rows(url, rows)
    assert (second.new, second.updated, second.unchanged, second.new_versions) == (0, 0, 5, 0)
    assert _snapshot(url) == before
    assert before[0][2] == "Тақырып\tқойындымен"
    assert before[0][5] == ["экономика", "ауа райы"]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT status, loaded_new FROM crawl_runs WHERE id = %s", (run_id,))
        assert cur.fetchone() == ("stored", 5)


def test_update_keeps_previous_version(settings: Settings) -> None:
    url = settings.require_database_url()
    run_id = _run_with_archive(url, "raw/b.warc.gz")
    load_rows(url, [_row(run_id, "raw/b.warc.gz", "b00001", "Бірінші нұсқа", "2026-01-01T04:00:00+00:00")])
    result = load_rows(url, [_row(run_id, "raw/b.warc.gz", "b00001", "Жаңартылған нұсқа",
                                  "2026-01-01T04:00:00+00:00", fetched_at="2026-01-03T00:00:00+00:00")])
    assert (result.new, result.updated, result.new_versions) == (0, 1, 1)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles")
        assert cur.fetchone() == (1,)
        cur.execute("SELECT body FROM article_versions ORDER BY first_seen_at")
        assert [r[0] for r in cur.fetchall()] == ["Бірінші нұсқа", "Жаңартылған нұсқа"]
        cur.execute("SELECT body, first_seen_at < last_seen_at FROM articles")
        assert cur.fetchone() == ("Жаңартылған нұсқа", True)


def test_exact_duplicate_links_to_earliest(settings: Settings) -> None:
    url = settings.require_database_url()
    run_id = _run_with_archive(url, "raw/c.warc.gz")
    body = "Қайта жарияланған мақала мәтіні"
    load_rows(url, [_row(run_id, "raw/c.warc.gz", "c00002", body, "2026-01-02T04:00:00+00:00")])
    # An earlier publication of the same text arrives later (backfill): it becomes the original.
    result = load_rows(url, [_row(run_id, "raw/c.warc.gz", "c00001", body, "2026-01-01T04:00:00+00:00")])
    assert result.new == 1
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT a.article_id, o.article_id, a.duplicate_kind FROM articles a
                       LEFT JOIN articles o ON o.id = a.duplicate_of ORDER BY a.article_id""")
        assert cur.fetchall() == [("c00001", None, None), ("c00002", "c00001", "exact")]
    # Reloading either changes nothing.
    before = _snapshot(url)
    load_rows(url, [_row(run_id, "raw/c.warc.gz", "c00002", body, "2026-01-02T04:00:00+00:00")])
    assert _snapshot(url) == before


def test_article_must_point_at_a_recorded_archive(settings: Settings) -> None:
    url = settings.require_database_url()
    run_id = _run_with_archive(url, "raw/d.warc.gz")
    with pytest.raises(psycopg2.errors.ForeignKeyViolation):
        load_rows(url, [_row(run_id, "raw/missing.warc.gz", "d00001", "Мәтін", "2026-01-01T04:00:00+00:00")])
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles")
        assert cur.fetchone() == (0,)


_COUNT_UPDATES = """
CREATE TABLE test_article_updates (article_pk bigint NOT NULL);
CREATE FUNCTION test_count_article_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO test_article_updates VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER test_count_article_update AFTER UPDATE ON articles
    FOR EACH ROW EXECUTE FUNCTION test_count_article_update();
"""
_UNCOUNT_UPDATES = """
DROP TRIGGER IF EXISTS test_count_article_update ON articles;
DROP FUNCTION IF EXISTS test_count_article_update();
DROP TABLE IF EXISTS test_article_updates;
"""


def _updated_articles(url: str) -> list[str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT a.article_id FROM test_article_updates u JOIN articles a ON a.id = u.article_pk "
                    "ORDER BY 1")
        return [r[0] for r in cur.fetchall()]


def test_each_row_is_written_once(settings: Settings) -> None:
    """Exact-duplicate links are decided before the insert: no row just inserted is updated; a stored row is
    updated only when an earlier publication of its text arrives."""
    url = settings.require_database_url()
    run_id = _run_with_archive(url, "raw/e.warc.gz")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(_COUNT_UPDATES)
    try:
        body, other = "Бір мәтін үш рет", "Басқа мәтін"
        load_rows(url, [_row(run_id, "raw/e.warc.gz", "e00002", body, "2026-01-02T04:00:00+00:00")])
        # In one batch: two copies of a stored text (one later, one earlier than the stored article) and an
        # original with its copy.
        result = load_rows(url, [
            _row(run_id, "raw/e.warc.gz", "e00003", body, "2026-01-03T04:00:00+00:00"),
            _row(run_id, "raw/e.warc.gz", "e00001", body, "2026-01-01T04:00:00+00:00"),
            _row(run_id, "raw/e.warc.gz", "e00005", other, "2026-01-05T04:00:00+00:00"),
            _row(run_id, "raw/e.warc.gz", "e00004", other, "2026-01-04T04:00:00+00:00"),
        ])
        assert (result.new, result.duplicates) == (4, 2)
        assert _updated_articles(url) == ["e00002"]  # the stored original that became a copy, once
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("""SELECT a.article_id, o.article_id, a.duplicate_kind, a.similarity FROM articles a
                           LEFT JOIN articles o ON o.id = a.duplicate_of ORDER BY a.article_id""")
            assert cur.fetchall() == [("e00001", None, None, None), ("e00002", "e00001", "exact", 1.0),
                                      ("e00003", "e00001", "exact", 1.0), ("e00004", None, None, None),
                                      ("e00005", "e00004", "exact", 1.0)]
    finally:
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute(_UNCOUNT_UPDATES)


def test_changed_text_relinks_the_copies_of_the_old_text(settings: Settings) -> None:
    url = settings.require_database_url()
    run_id = _run_with_archive(url, "raw/f.warc.gz")
    load_rows(url, [_row(run_id, "raw/f.warc.gz", "f00001", "Ескі мәтін", "2026-01-01T04:00:00+00:00"),
                    _row(run_id, "raw/f.warc.gz", "f00002", "Ескі мәтін", "2026-01-02T04:00:00+00:00"),
                    _row(run_id, "raw/f.warc.gz", "f00003", "Жаңа мәтін", "2026-01-03T04:00:00+00:00")])
    # The original's text changes to that of a later article: it becomes that one's original, and the copy of
    # its old text becomes an original.
    load_rows(url, [_row(run_id, "raw/f.warc.gz", "f00001", "Жаңа мәтін", "2026-01-01T04:00:00+00:00",
                         fetched_at="2026-01-04T00:00:00+00:00")])
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT a.article_id, o.article_id FROM articles a
                       LEFT JOIN articles o ON o.id = a.duplicate_of ORDER BY a.article_id""")
        assert cur.fetchall() == [("f00001", None), ("f00002", None), ("f00003", "f00001")]


def test_loads_take_turns_from_the_link_decision_to_commit(settings: Settings) -> None:
    """Two loads of one text at once must not both make it an original: a load waits for the one before it."""
    import threading
    import time

    from etl.store import load as load_module

    url = settings.require_database_url()
    run_id = _run_with_archive(url, "raw/g.warc.gz")
    holder = psycopg2.connect(url)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (load_module._LINK_LOCK_ID,))  # another load's turn
        done: list[Any] = []
        thread = threading.Thread(target=lambda: done.append(load_rows(url, [
            _row(run_id, "raw/g.warc.gz", "g00001", "Бір уақытта", "2026-01-01T04:00:00+00:00")])))
        thread.start()
        deadline = time.monotonic() + 60
        with psycopg2.connect(url) as watcher, watcher.cursor() as cur:
            waiting = False
            while not waiting and thread.is_alive():
                assert time.monotonic() < deadline, "the load never waited for the lock"
                cur.execute("""SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                               AND objid = %s""", (load_module._LINK_LOCK_ID & 0xFFFFFFFF,))
                waiting = cur.fetchone()[0] == 1
                watcher.rollback()
        assert waiting and not done
        holder.rollback()  # the other load commits: this one goes on
        thread.join(60)
        assert done and done[0].new == 1
    finally:
        holder.close()
