"""The `sql/queries/` cookbook: every query runs as the read-only role and returns the expected rows on fixture data."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from archive_rows import article, crawl_run, golden_truths, load_truths

from etl.core.config import Settings
from etl.read.query import query_parameters, run_query
from etl.store import runs

pytestmark = pytest.mark.integration
QUERIES = Path(__file__).resolve().parents[1] / "sql" / "queries"
TZ = ZoneInfo("Asia/Almaty")
DUPLICATE = "a70e5c"
PEOPLE = [
    article("pp0001", "Президент жолдауы", ["Қасым-Жомарт Тоқаевтың жолдауы жарияланды."], "2026-01-02T04:00:00+00:00"),
    article("pp0002", "Кездесу", ["Делегация Тоқаевқа хат табыстады."], "2026-01-02T05:00:00+00:00"),
    article("pp0003", "Тоқаш", ["Наубайханада тоқаш пісірілді."], "2026-01-02T06:00:00+00:00"),
]


def cookbook(url: str, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run sql/queries/<name>.sql as the read-only role with `params`; rows as dicts."""
    sql = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
    assert set(query_parameters(sql)) == set(params)
    result = run_query(url, sql, params)
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def local_day(truth: dict[str, Any]) -> date:
    return datetime.fromisoformat(truth["published_at"]).astimezone(TZ).date()


@pytest.fixture
def url(settings: Settings) -> str:
    url = settings.require_database_url()
    load_truths(url, golden_truths() + PEOPLE)  # one crawl run, loaded, for 2026-01-01
    return url


def test_articles_of_day(url: str) -> None:
    rows = cookbook(url, "articles_of_day", day="2026-01-01")
    truths = [t for t in golden_truths() if local_day(t) == date(2026, 1, 1) and t["article_id"] != DUPLICATE]
    assert [r["article_id"] for r in rows] == [t["article_id"] for t in sorted(truths, key=lambda t: t["published_at"])]


def test_source_output_over_time(url: str) -> None:
    rows = cookbook(url, "source_output_over_time", source="kazinform", since="2025-12-30", until="2026-01-03")
    everything = golden_truths() + PEOPLE
    expected = {date(2025, 12, 30 + i) if i < 2 else date(2026, 1, i - 1): 0 for i in range(5)}
    for truth in everything:
        expected[local_day(truth)] += 1
    assert {r["day"]: r["articles"] for r in rows} == expected
    assert [r["day"] for r in rows] == sorted(expected)
    assert {r["day"]: r["duplicates"] for r in rows}[date(2026, 1, 1)] == 1


def test_top_duplicate_clusters(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:  # two near copies of one original
        cur.execute("""UPDATE articles SET duplicate_of = (SELECT id FROM articles WHERE article_id = '025342'),
                              duplicate_kind = 'near', similarity = 0.8
                       WHERE article_id IN ('0526ba', '07b9b6')""")
    rows = cookbook(url, "top_duplicate_clusters", limit="10")
    assert [(r["original_article_id"], r["members"], r["exact_copies"], r["near_copies"]) for r in rows] == [
        ("025342", 3, 0, 2), ("c3c6b6", 2, 1, 0)]
    assert cookbook(url, "top_duplicate_clusters", limit="1")[0]["original_article_id"] == "025342"


def test_phrase_search(url: str) -> None:
    rows = cookbook(url, "phrase_search", phrase="мұз айдыны")
    pattern = re.compile(r"(?<!\w)мұз\W+айдыны(?!\w)", re.IGNORECASE)
    expected = {t["article_id"] for t in golden_truths()
                if t["article_id"] != DUPLICATE and pattern.search(t["title"] + "\n" + "\n".join(t["paragraphs"]))}
    assert expected and {r["article_id"] for r in rows} == expected
    assert all("[мұз] [айдыны]" in r["snippet"].lower() for r in rows)


def test_articles_mentioning_person(url: str) -> None:
    rows = cookbook(url, "articles_mentioning_person", person="Тоқаев")
    assert [r["article_id"] for r in rows] == ["pp0002", "pp0001"]
    assert "[Тоқаевқа]" in rows[0]["snippet"]
    assert [r["article_id"] for r in cookbook(url, "articles_mentioning_person", person="Қасым-Жомарт Тоқаев")] == [
        "pp0001"]


def test_coverage_gaps(url: str) -> None:
    failed = crawl_run(url, date(2026, 1, 3), key="raw/source=kazinform/date=2026-01-03/failed.warc.gz")
    runs.fail_run(url, failed, "blocked")
    with psycopg2.connect(url) as conn, conn.cursor() as cur:  # the ledger's word wins where it has a row
        cur.execute("INSERT INTO coverage (source, day, status, detail) "
                    "VALUES ('kazinform', '2026-01-02', 'partial', '3 loaded articles missing')")
    rows = cookbook(url, "coverage_gaps", source="kazinform", since="2025-12-30", until="2026-01-04")
    assert [(r["day"].isoformat(), r["status"], r["runs"], r["articles"], r["detail"]) for r in rows] == [
        ("2025-12-30", "never-run", 0, 0, None),
        ("2025-12-31", "never-run", 0, 25, None),
        ("2026-01-02", "partial", 0, 27, "3 loaded articles missing"),
        ("2026-01-03", "failed", 1, 0, None),
        ("2026-01-04", "never-run", 0, 0, None),
    ]


def test_every_cookbook_query_is_tested() -> None:
    tested = set(re.findall(r'cookbook\(url, "(\w+)"', Path(__file__).read_text(encoding="utf-8")))
    assert tested == {p.stem for p in QUERIES.glob("*.sql")}
