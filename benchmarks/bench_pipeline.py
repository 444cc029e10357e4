"""Benchmarks, side by side in one run, each reported as a ratio against its baseline:

1. parse: pages/s of the Kazinform parser vs trafilatura (`bare_extraction`) on the same fixture pages;
2. load: rows/s of the load step (COPY -> temp table -> INSERT ... ON CONFLICT, versions, duplicate links)
   vs a bare COPY of the same rows into an empty table, on the real embedded PostgreSQL.

Usage: .venv/bin/python benchmarks/bench_pipeline.py [--rows 20000] [--rounds 3]
Not a test: nothing here asserts a time. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from etl.dev.services import manager  # noqa: E402
from etl.store.db import raw_connection  # noqa: E402
from etl.store.load import STAGED_COLUMNS, copy_stream, load_rows  # noqa: E402

GOLDEN = REPO / "tests" / "golden" / "kazinform"


def best_of(rounds: int, func: Callable[[], int]) -> tuple[float, int]:
    """Median seconds over `rounds` runs and the item count of the last run."""
    times, count = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        count = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), count


def bench_parse(rounds: int, repeat: int) -> dict[str, Any]:
    """Kazinform parser vs trafilatura on the golden fixture pages."""
    import trafilatura

    from etl.sources import extract_article

    pages = []
    for path in sorted(GOLDEN.glob("*.html.gz")):
        meta = json.loads(path.with_name(path.name.replace(".html.gz", ".meta.json")).read_text())
        pages.append((meta["url"], gzip.decompress(path.read_bytes()).decode("utf-8")))
    work = pages * repeat

    def ours() -> int:
        for url, html in work:
            extract_article("kazinform", url, html)
        return len(work)

    def baseline() -> int:
        for _, html in work:
            trafilatura.bare_extraction(html, with_metadata=True)
        return len(work)

    ours_s, n = best_of(rounds, ours)
    base_s, _ = best_of(rounds, baseline)
    return {"pages": n, "ours_pages_per_s": n / ours_s, "trafilatura_pages_per_s": n / base_s,
            "ratio": (n / ours_s) / (n / base_s)}


def synthetic_rows(count: int, run_id: int, warc_key: str) -> list[dict[str, Any]]:
    """Article rows shaped like real staged rows (Kazakh text, ~2 KB bodies, 2% exact duplicates)."""
    rows = []
    for i in range(count):
        body = "\n".join(
            f"АСТАНА. KAZINFORM – {i % (count // 50 or 1)} {'Қазақстан экономикасы өсіп келеді. ' * 8} {j}"
            for j in range(6)
        )
        rows.append({
            "source": "kazinform", "article_id": f"{i:08x}", "url": f"https://kaz.inform.kz/news/bench-{i:08x}/",
            "canonical_url": f"https://kaz.inform.kz/news/bench-{i:08x}/", "language": "kk",
            "title": f"Синтетикалық мақала {i}", "published_at": "2026-01-01T04:00:00+00:00",
            "published_raw": "2026-01-01T09:00:00+05:00", "modified_at": None, "body": body,
            "dateline_place": "АСТАНА", "author": "Автор", "tags": ["экономика"], "image_url": None,
            "content_hash": hashlib.sha256(body.encode()).hexdigest(), "warc_key": warc_key,
            "warc_offset": i * 4096, "warc_record_id": f"<urn:uuid:{i}>", "extractor_version": "bench",
            "extraction": {"body": "selectors"}, "fetched_at": "2026-01-02T00:00:00+00:00", "crawl_run_id": run_id,
        })
    return rows


def bench_load(rows_n: int, rounds: int) -> dict[str, Any]:
    """The load step vs a bare COPY into an empty table, same rows, fresh embedded PostgreSQL."""
    from datetime import date, datetime, timedelta, timezone

    from etl.store import runs

    with manager.ephemeral("newsarchive-bench-") as settings:
        url = settings.require_database_url()
        start = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5)))
        run = runs.create_run(url, "kazinform", date(2026, 1, 1), start, start + timedelta(days=1),
                              refetch=False, trigger="bench")
        runs.record_archive(url, run.id, "raw/bench.warc.gz", "raw/bench.manifest.json", "0" * 64, 1, 1, 1)
        rows = synthetic_rows(rows_n, run.id, "raw/bench.warc.gz")

        def reset() -> None:
            with raw_connection(url) as conn, conn.cursor() as cur:
                cur.execute("TRUNCATE article_aliases, article_versions, articles CASCADE")
                cur.execute("DROP TABLE IF EXISTS bare_copy")
                cur.execute("CREATE TABLE bare_copy (" + ", ".join(f"{n} {k}" for n, k in STAGED_COLUMNS) + ")")

        def ours() -> int:
            reset()
            return load_rows(url, rows).new

        def bare() -> int:
            reset()
            with raw_connection(url) as conn, conn.cursor() as cur:
                cur.copy_expert(f"COPY bare_copy ({', '.join(n for n, _ in STAGED_COLUMNS)}) FROM STDIN",
                                copy_stream(rows))
            return len(rows)

        ours_s, loaded = best_of(rounds, ours)
        # A second load of the same rows right after a first one: nothing changes (the idempotent re-run).
        again_s, _ = best_of(1, lambda: load_rows(url, rows).unchanged)
        bare_s, _ = best_of(rounds, bare)
    return {"rows": rows_n, "loaded": loaded, "load_rows_per_s": rows_n / ours_s,
            "bare_copy_rows_per_s": rows_n / bare_s, "ratio": (rows_n / ours_s) / (rows_n / bare_s),
            "reload_unchanged_rows_per_s": rows_n / again_s}


def main() -> int:
    """Run both benchmarks and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="times each fixture page is parsed per round")
    args = parser.parse_args()
    parse = bench_parse(args.rounds, args.repeat)
    print(f"parse  {parse['pages']} pages: kazinform parser {parse['ours_pages_per_s']:.1f} pages/s, "
          f"trafilatura {parse['trafilatura_pages_per_s']:.1f} pages/s, ratio {parse['ratio']:.2f}x")
    load = bench_load(args.rows, args.rounds)
    print(f"load   {load['rows']} rows: load step {load['load_rows_per_s']:.0f} rows/s, bare COPY "
          f"{load['bare_copy_rows_per_s']:.0f} rows/s, ratio {load['ratio']:.2f}x; "
          f"re-load of unchanged rows {load['reload_unchanged_rows_per_s']:.0f} rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
