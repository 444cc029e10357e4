"""search_articles(): phrase matches first, inflected Kazakh forms by stem (with voicing) and trigram, Russian
stemming, filters, duplicates left out, snippets, and the GIN indexes behind it."""

from __future__ import annotations

from typing import Any

import psycopg2
import pytest
from archive_rows import article, load_truths

from etl.core.config import Settings

pytestmark = pytest.mark.integration

FILLER = ["Қала әкімдігі бұл туралы ресми мәлімдеме жасады.", "Тұрғындар жұмыстың сапасына ризашылық білдірді.",
          "Келесі жылы тағы да бірнеше нысан салынады деп күтілуде.", "Жоба бюджеттен қаржыландырылды."]
ARTICLES = [
    # The exact phrase once, in a long text: a low ts_rank, but it must still come first.
    article("ph0001", "Қала жаңалықтары", ["Бүгін қалада жаңа саябақ ашылды.", *FILLER], "2026-01-01T05:00:00+00:00"),
    # Both words many times, never adjacent in this order: a high ts_rank, second tier.
    article("wd0002", "Демалыс орны", ["Саябақ көпшілікке арналған, жаңа орындықтар мен жаңа шамдар бар.",
                                       "Саябақ ішінде жаңа жолдар салынды, саябақ кешке дейін ашық."],
            "2026-01-01T06:00:00+00:00"),
    # Only inflected forms: жаңадан, саябаққа.
    article("pf0003", "Демалыс күні", ["Тұрғындар жаңадан ашылған саябаққа барды."], "2026-01-01T07:00:00+00:00"),
    article("as0004", "Елорда", ["Астанада аяз күшейді."], "2026-01-01T08:00:00+00:00"),
    article("as0005", "Сол жағалау", ["Астананың сол жағалауында жаңа көпір салынады."], "2026-01-01T09:00:00+00:00"),
    article("bl0006", "Көлде", ["Ол көлден үлкен балығын ұстады."], "2026-01-01T10:00:00+00:00"),
    article("kr0007", "Облыс", ["Қарағанды облысында қар жауды."], "2026-01-01T11:00:00+00:00"),
    article("ru0008", "Парк", ["В Москве открылся новый парк."], "2026-01-01T12:00:00+00:00", language="ru"),
    # An exact copy of ph0001 published later: a duplicate, hidden unless asked for.
    article("dp0009", "Қала жаңалықтары", ["Бүгін қалада жаңа саябақ ашылды.", *FILLER], "2026-01-01T13:00:00+00:00"),
]


def search(url: str, query: str, **kwargs: Any) -> list[tuple[str, str]]:
    """(article_id, match_kind) in result order."""
    names = ", ".join(f"{name} => %({name})s" for name in kwargs)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT article_id, match_kind FROM search_articles(%(q)s{', ' + names if names else ''})",
                    {"q": query, **kwargs})
        return [(a, k) for a, k in cur.fetchall()]


@pytest.fixture
def url(settings: Settings) -> str:
    url = settings.require_database_url()
    load_truths(url, ARTICLES)
    return url


def test_exact_phrase_ranks_first_then_all_words_then_inflected(url: str) -> None:
    hits = search(url, "жаңа саябақ")
    assert hits == [("ph0001", "phrase"), ("wd0002", "words"), ("pf0003", "stems")]
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT article_id, score FROM search_articles('жаңа саябақ')")
        scores = dict(cur.fetchall())
    assert scores["wd0002"] > scores["ph0001"]  # ranked first by tier, not by ts_rank


def test_inflected_kazakh_forms_are_found(url: str) -> None:
    assert {a for a, _ in search(url, "Астана")} == {"as0004", "as0005"}  # астанада, астананың by stem
    assert search(url, "балық") == [("bl0006", "stem phrase")]  # балығын: voiced stem балығ-
    assert search(url, "Карағанды") == [("kr0007", "trigram")]  # typed with a Russian к


def test_russian_articles_use_russian_stemming(url: str) -> None:
    assert search(url, "Москва") == [("ru0008", "phrase")]
    assert search(url, "Москва", lang="kk") == []


def test_duplicates_hidden_unless_asked(url: str) -> None:
    assert "dp0009" not in {a for a, _ in search(url, "жаңа саябақ")}
    assert ("dp0009", "phrase") in search(url, "жаңа саябақ", include_duplicates=True)


def test_filters_and_limit(url: str) -> None:
    assert search(url, "жаңа саябақ", max_results=1) == [("ph0001", "phrase")]
    assert search(url, "жаңа саябақ", source_name="tengrinews") == []
    assert search(url, "саябақ", since="2026-01-02") == []
    assert search(url, "") == []


def test_snippet_marks_matches_and_indexes_are_used(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT snippet FROM search_articles('Астана') WHERE article_id = 'as0004'")
        assert "[Астанада]" in cur.fetchone()[0]
        cur.execute("SET enable_seqscan = off")
        cur.execute("EXPLAIN SELECT id FROM articles a WHERE a.search_vector @@ kazakh_tsquery('астаналықтар')")
        assert "articles_search_vector" in " ".join(r[0] for r in cur.fetchall())
        cur.execute("EXPLAIN SELECT id FROM articles a "
                    "WHERE 'карағанды' <<% (a.title || ' ' || coalesce(a.normalized_body, a.body))")
        assert "articles_search_trgm" in " ".join(r[0] for r in cur.fetchall())
