"""Score search methods on the evaluation queries: Recall@10 and MRR over the golden fixture corpus.

Methods: today's search_articles() as migration 0004 defined it (re-created from that file as a temporary
function, so the baseline is the shipped code, not a copy), pg_trgm word similarity alone, `simple` full-text
search alone, and search_articles() with the Kazakh stemmer (migration 0009).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search_eval.queries import QUERIES, Query

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
MIGRATION_0004 = REPO / "sql" / "migrations" / "0004_query_interface.sql"
K = 10
DocKey = tuple[str, str]

METHODS: dict[str, str] = {
    "search_articles() before (0004)":
        "SELECT source, article_id FROM pg_temp.baseline_search_articles(%(q)s, 10, include_duplicates => true)",
    "pg_trgm index search (<%, threshold 0.6)":
        "SELECT source, article_id FROM articles WHERE %(q)s <%% (title || ' ' || coalesce(normalized_body, body)) "
        "ORDER BY word_similarity(%(q)s, title || ' ' || coalesce(normalized_body, body)) DESC, id LIMIT 10",
    "pg_trgm ranking every article":
        "SELECT source, article_id FROM articles "
        "ORDER BY word_similarity(%(q)s, title || ' ' || coalesce(normalized_body, body)) DESC, id LIMIT 10",
    "simple FTS alone":
        "SELECT source, article_id FROM articles WHERE search_vector @@ plainto_tsquery('simple', %(q)s) "
        "ORDER BY ts_rank_cd(search_vector, plainto_tsquery('simple', %(q)s)) DESC, id LIMIT 10",
    "Kazakh stemmer (search_articles, 0009)":
        "SELECT source, article_id FROM search_articles(%(q)s, 10, include_duplicates => true)",
}


@dataclass(frozen=True)
class Score:
    """Mean Recall@10 and MRR of one method, with the per-query recall."""

    recall_at_10: float
    mrr: float
    per_query: dict[str, float]


def golden_corpus() -> list[dict[str, Any]]:
    """Every golden ground-truth article of every source."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOLDEN.glob("*/*.truth.json"))]


def relevant(query: Query, corpus: Iterable[dict[str, Any]]) -> set[DocKey]:
    """The articles with a word matching every pattern of the query."""
    compiled = [re.compile(pattern) for pattern in query.patterns]
    found: set[DocKey] = set()
    for doc in corpus:
        words = re.findall(r"\w+", (doc["title"] + " " + " ".join(doc["paragraphs"])).lower())
        if all(any(p.fullmatch(w) for w in words) for p in compiled):
            found.add((doc.get("source", "kazinform"), doc["article_id"]))
    return found


def create_baseline(cur: Any) -> None:
    """Re-create migration 0004's search_articles() as pg_temp.baseline_search_articles()."""
    text = MIGRATION_0004.read_text(encoding="utf-8")
    match = re.search(r"CREATE FUNCTION search_articles\(.*?\n\$fn\$;", text, re.S)
    if match is None:
        raise RuntimeError(f"{MIGRATION_0004} has no search_articles() definition")
    sql = match.group(0).replace("CREATE FUNCTION search_articles(", "CREATE FUNCTION pg_temp.baseline_search_articles(")
    cur.execute(sql.replace("search_articles.", "baseline_search_articles."))


def score(cur: Any, method_sql: str, corpus: list[dict[str, Any]]) -> Score:
    """Run every evaluation query through one method and score its top 10."""
    recalls: dict[str, float] = {}
    reciprocal: list[float] = []
    for query in QUERIES:
        wanted = relevant(query, corpus)
        if not wanted:
            raise ValueError(f"evaluation query {query.text!r} has no relevant article in the corpus")
        cur.execute(method_sql, {"q": query.text})
        hits = [tuple(row) for row in cur.fetchall()][:K]
        recalls[query.text] = len(wanted.intersection(hits)) / min(len(wanted), K)
        reciprocal.append(next((1 / rank for rank, hit in enumerate(hits, 1) if hit in wanted), 0.0))
    return Score(sum(recalls.values()) / len(recalls), sum(reciprocal) / len(reciprocal), recalls)


def evaluate(cur: Any, corpus: list[dict[str, Any]]) -> dict[str, Score]:
    """Score every method (the baseline function is created in this session first)."""
    create_baseline(cur)
    return {name: score(cur, sql, corpus) for name, sql in METHODS.items()}
