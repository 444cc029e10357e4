"""Kazakh search benchmark: Recall@10, MRR and time per query of each search method on the evaluation set.

Starts its own embedded PostgreSQL + S3 (private state dir, free ports), loads the golden fixture corpus (163
articles of 8 sources, 135 of them Kazakh) through the load step, and scores the methods of
tests/search_eval/evaluate.py on the 48 hand-written queries of tests/search_eval/queries.py: today's
search_articles() as migration 0004 defined it, pg_trgm (index search with the `<%` operator, and a ranking of
every article by word similarity), `simple` full-text search alone, and search_articles() with the Kazakh
stemmer of migration 0009.
Usage: .venv/bin/python benchmarks/bench_search.py. Not a test: nothing here asserts a time. Figures go to
docs/querying.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import psycopg2  # noqa: E402
from archive_rows import crawl_run, row  # noqa: E402
from search_eval.evaluate import METHODS, create_baseline, golden_corpus, score  # noqa: E402
from search_eval.queries import QUERIES  # noqa: E402

from etl.dev.services import manager  # noqa: E402
from etl.store.load import load_rows  # noqa: E402


def main() -> int:
    """Load the corpus, score every method and time its queries."""
    corpus = golden_corpus()
    with manager.ephemeral("newsarchive-bench-search-state-") as settings:
        url = settings.require_database_url()
        run_id = crawl_run(url)
        load_rows(url, [row(run_id, truth, offset=100 + i) for i, truth in enumerate(corpus)], run_id=run_id)
        print(f"corpus: {len(corpus)} articles, {sum(1 for d in corpus if d.get('language') == 'kk')} Kazakh; "
              f"{len(QUERIES)} queries")
        print(f"{'method':42} {'Recall@10':>9} {'MRR':>6} {'ms/query':>9}")
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            create_baseline(cur)
            for name, sql in METHODS.items():
                result = score(cur, sql, corpus)  # also warms the caches
                started = time.perf_counter()
                for query in QUERIES:
                    cur.execute(sql, {"q": query.text})
                    cur.fetchall()
                per_query = (time.perf_counter() - started) * 1000 / len(QUERIES)
                print(f"{name:42} {result.recall_at_10:9.3f} {result.mrr:6.3f} {per_query:9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
