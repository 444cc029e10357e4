"""Kazakh search (migration 0009): the stemmer reduces a word's forms to one stem, the read-only role finds
articles holding only other forms of a query word, and on the evaluation set the new search beats today's
search and trigram index search by the margins the issue asks for."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
import pytest
from archive_rows import article, crawl_run, load_truths, row
from search_eval.evaluate import evaluate, golden_corpus

from etl.cli.main import main
from etl.core.config import Settings
from etl.store.load import load_rows

pytestmark = pytest.mark.integration

# (word form, stem): forms of one word share a stem; endings are stripped only where vowel harmony and the
# following-sound rules allow, and at least three letters stay.
STEMS = [
    ("мемлекеттердің", "мемлекет"), ("мемлекетке", "мемлекет"), ("мемлекет", "мемлекет"),
    ("жүргізушілерге", "жүргіз"), ("жүргізді", "жүргіз"),
    ("бағдарламасын", "бағдарлама"), ("мерекесінде", "мереке"), ("қызметкерлері", "қызметкер"),
    ("облыстарында", "облыс"), ("жылғы", "жыл"), ("жылдар", "жыл"), ("астананың", "астана"), ("астана", "астана"),
    ("көрсетілді", "көрсет"), ("турнирге", "турнир"),
    ("ел", "ел"), ("үйге", "үйге"),  # too short to strip: three letters must stay
    ("oblystarynda", "oblys"), ("trassalardyń", "trassa"), ("jolǵa", "jol"),  # Latin (qz.)
]


@pytest.fixture
def url(settings: Settings) -> str:
    return settings.require_database_url()


def test_stems(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT w, kazakh_stem(w) FROM unnest(%s::text[]) AS w", ([w for w, _ in STEMS],))
        assert cur.fetchall() == STEMS


def test_tsquery_builders_keep_voicing_and_order(url: str) -> None:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT kazakh_tsquery('Балығын сатты')::text, kazakh_phrase_tsquery('жаңа мектептерге')::text, "
                    "kazakh_tsquery('!!')::text")
        words, phrase, empty = cur.fetchone()
    assert words == "( 'балығ':* | 'балық':* ) & 'сат':*"
    assert phrase == "'жаңа':* <-> ( 'мектеп':* | 'мектеб':* )"
    assert empty == ""


def test_reader_finds_articles_with_only_other_forms(url: str, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    load_truths(url, [
        article("mk0001", "Мемлекет қызметі", ["Мемлекет жаңа бағдарлама қабылдады."], "2026-01-01T05:00:00+00:00"),
        article("mk0002", "Жаңалық", ["Қаржы мемлекетке қайтарылды."], "2026-01-01T06:00:00+00:00"),
        article("ot0003", "Ауа райы", ["Ертең қар жауады."], "2026-01-01T07:00:00+00:00"),
    ])
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    status = main(["query", "--format", "json",
                   "SELECT current_user AS who, article_id, match_kind, snippet "
                   "FROM search_articles('мемлекеттердің') ORDER BY article_id"])
    assert status == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["who"], r["article_id"], r["match_kind"]) for r in rows] == [
        ("newsarchive_reader", "mk0001", "stem phrase"), ("newsarchive_reader", "mk0002", "stem phrase")]
    assert "[мемлекетке]" in rows[1]["snippet"]


def test_evaluation_set_margins(url: str) -> None:
    corpus = golden_corpus()
    run_id = crawl_run(url)
    load_rows(url, [row(run_id, truth, offset=100 + i) for i, truth in enumerate(corpus)], run_id=run_id)
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        scores = evaluate(cur, corpus)
    new = scores["Kazakh stemmer (search_articles, 0009)"]
    assert new.recall_at_10 >= scores["search_articles() before (0004)"].recall_at_10 + 0.15
    assert new.recall_at_10 >= scores["pg_trgm index search (<%, threshold 0.6)"].recall_at_10 + 0.15
    assert new.mrr >= scores["search_articles() before (0004)"].mrr
    assert scores["simple FTS alone"].recall_at_10 < 0.2  # the inflected query forms are rarely in the text
