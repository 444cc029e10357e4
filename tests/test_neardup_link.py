"""Near-duplicate linking in PostgreSQL: against the whole archive, earliest original, idempotent, exact first."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from typing import Any

import psycopg2
import pytest

from etl.core.config import Settings
from etl.store import runs
from etl.store.db import raw_connection
from etl.store.load import load_rows
from etl.store.neardup_link import NearResult, link_near_duplicates
from etl.transform import neardup
from etl.transform.normalize import normalize_body

pytestmark = pytest.mark.integration
UTC5 = timezone(timedelta(hours=5))

STORY = (
    "АСТАНА. KAZINFORM – Төтенше жағдайлар министрлігі азаматтарды мереке күндері пиротехникалық бұйымдарды "
    "абайлап қолдануға шақырды.",
    "Мамандардың айтуынша, отшашуды тек ашық алаңдарда, тұрғын үйлер мен көліктерден кемінде 20 метр "
    "қашықтықта іске қосу қажет. Балаларға пиротехниканы өз бетінше қолдануға рұқсат бермеген жөн.",
    "Сонымен қатар шыршаға сапасыз электр гирляндаларын ілмеу және электр желісін шамадан тыс жүктемеу "
    "ұсынылады.",
)
REPUBLISHED = (
    "Астана, Qazaq Times тілшісі – Министрлік жаңа жыл мерекесінде отшашуды сақтықпен қолдануды сұрады.",
    *STORY[1:],
    "Бұған дейін қысқы демалыс кезіндегі қауіпсіздік ережелері туралы жазған едік.",
)
OTHER = (
    "ОРАЛ. KAZINFORM – Оралда Жайық өзенінің мұзында қысқы балық аулаудан қалалық жарыс өтті.",
    "Жеңімпаз үш сағатта 4 килограмнан астам балық аулады.",
)


def _run(url: str, key: str) -> int:
    start = datetime(2026, 1, 1, tzinfo=UTC5)
    run = runs.create_run(url, "kazinform", date(2026, 1, 1), start, start + timedelta(days=1), refetch=False,
                          trigger="test")
    runs.record_archive(url, run.id, key, key + ".manifest", "0" * 64, 10, 2, 1)
    return run.id


def _row(run_id: int, key: str, article_id: str, paragraphs: tuple[str, ...], published: str) -> dict[str, Any]:
    body = "\n".join(paragraphs)
    return {
        "source": "kazinform", "article_id": article_id, "url": f"https://kaz.inform.kz/news/x-{article_id}/",
        "canonical_url": f"https://kaz.inform.kz/news/x-{article_id}/", "language": "kk", "title": "Тақырып",
        "published_at": published, "published_raw": published, "body": body, "tags": [],
        "content_hash": hashlib.sha256(body.encode()).hexdigest(), "warc_key": key, "warc_offset": 1,
        "extractor_version": "test-1", "extraction": {}, "fetched_at": published, "crawl_run_id": run_id,
        "normalized_body": normalize_body(paragraphs),
    }


def _load_and_link(url: str, rows: list[dict[str, Any]]) -> NearResult:
    load_rows(url, rows)
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM articles WHERE article_id = ANY(%s)", ([r["article_id"] for r in rows],))
        return link_near_duplicates(cur, [pk for (pk,) in cur.fetchall()])


def _links(url: str) -> dict[str, tuple[Any, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT a.article_id, o.article_id, a.duplicate_kind, a.similarity, c.article_id
                       FROM articles a LEFT JOIN articles o ON o.id = a.duplicate_of
                       LEFT JOIN articles c ON c.id = a.cluster_id""")
        return {row[0]: row[1:] for row in cur.fetchall()}


def _state(url: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id, duplicate_of, duplicate_kind, similarity, cluster_id, updated_at FROM articles "
                    "ORDER BY id")
        rows = cur.fetchall()
        cur.execute("SELECT * FROM minhash_lsh ORDER BY article_pk")
        return rows + cur.fetchall()


def test_next_day_republication_links_to_the_archived_original_and_rerun_changes_nothing(
        settings: Settings) -> None:
    url = settings.require_database_url()
    day1 = _run(url, "raw/1.warc.gz")
    first = _load_and_link(url, [_row(day1, "raw/1.warc.gz", "orig01", STORY, "2025-12-31T10:00:00+00:00"),
                                 _row(day1, "raw/1.warc.gz", "other1", OTHER, "2025-12-31T11:00:00+00:00")])
    assert first.near_duplicates == 0 and first.indexed == 2
    day2 = _run(url, "raw/2.warc.gz")
    second = _load_and_link(url, [_row(day2, "raw/2.warc.gz", "repub1", REPUBLISHED, "2026-01-01T09:00:00+00:00")])
    assert second.near_duplicates == 1
    links = _links(url)
    original, kind, similarity, cluster = links["repub1"]
    assert (original, kind, cluster) == ("orig01", "near", "orig01")
    assert 0.25 <= similarity < 1.0
    assert links["orig01"] == (None, None, None, "orig01")
    assert links["other1"] == (None, None, None, None)  # no duplicate: no cluster

    before = _state(url)
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT id FROM articles")
        again = link_near_duplicates(cur, [pk for (pk,) in cur.fetchall()])
    assert again.links_changed == 0 and again.indexed == 0
    assert _state(url) == before


def test_an_earlier_publication_found_later_becomes_the_original(settings: Settings) -> None:
    url = settings.require_database_url()
    run_id = _run(url, "raw/1.warc.gz")
    _load_and_link(url, [_row(run_id, "raw/1.warc.gz", "late01", STORY, "2026-01-02T10:00:00+00:00"),
                         _row(run_id, "raw/1.warc.gz", "late02", REPUBLISHED, "2026-01-03T10:00:00+00:00")])
    assert _links(url)["late02"][:2] == ("late01", "near")
    # A backfill finds the story's first publication, a day earlier, with a light edit.
    earliest = (STORY[0].replace("абайлап", "сақтықпен"), *STORY[1:])
    _load_and_link(url, [_row(run_id, "raw/1.warc.gz", "early1", earliest, "2026-01-01T10:00:00+00:00")])
    links = _links(url)
    assert links["early1"] == (None, None, None, "early1")
    assert links["late01"][:2] == ("early1", "near") and links["late01"][3] == "early1"
    assert links["late02"][:2] == ("early1", "near") and links["late02"][3] == "early1"


def test_exact_duplicates_short_circuit(settings: Settings) -> None:
    url = settings.require_database_url()
    run_id = _run(url, "raw/1.warc.gz")
    result = _load_and_link(url, [_row(run_id, "raw/1.warc.gz", "orig01", STORY, "2026-01-01T10:00:00+00:00"),
                                  _row(run_id, "raw/1.warc.gz", "copy01", STORY, "2026-01-01T12:00:00+00:00"),
                                  _row(run_id, "raw/1.warc.gz", "repub1", REPUBLISHED, "2026-01-02T09:00:00+00:00"),
                                  _row(run_id, "raw/1.warc.gz", "other1", OTHER, "2026-01-01T10:00:00+00:00")])
    assert result.exact_skipped == 1 and result.indexed == 3
    # An exact copy of an article with no near-duplicate arrives on a later day: both join one cluster.
    _load_and_link(url, [_row(run_id, "raw/1.warc.gz", "otherc", OTHER, "2026-01-03T10:00:00+00:00")])
    links = _links(url)
    assert links["copy01"] == ("orig01", "exact", 1.0, "orig01")
    assert links["repub1"][:2] == ("orig01", "near")
    assert links["other1"] == (None, None, None, "other1")
    assert links["otherc"] == ("other1", "exact", 1.0, "other1")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM minhash_lsh b JOIN articles a ON a.id = b.article_pk "
                    "WHERE a.article_id = 'copy01'")
        assert cur.fetchone() == (0,)


def test_the_lsh_table_has_one_key_column_per_band_each_with_its_index(settings: Settings) -> None:
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'minhash_lsh' "
                    "AND column_name <> 'article_pk' ORDER BY ordinal_position")
        columns = [name for (name,) in cur.fetchall()]
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'minhash_lsh' AND indexname <> 'minhash_lsh_pkey'")
        indexes = sorted(definition for (definition,) in cur.fetchall())
    assert columns == [f"b{band:02d}" for band in range(neardup.BANDS)]
    assert indexes == sorted(f"CREATE INDEX minhash_lsh_{column} ON public.minhash_lsh USING btree ({column}) "
                             "INCLUDE (article_pk)" for column in columns)
