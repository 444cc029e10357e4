"""Dedup of synthetic Kazakh-like articles on the real embedded PostgreSQL, in daily batches, side by side:

1. baseline: exact-hash dedup only (the load step: COPY + upsert + versions + exact-duplicate links decided at insert);
2. ours: the same load, then near-duplicate linking against the whole archive (`link_near_duplicates`:
   normalized word bigrams -> MinHash -> LSH bands in PostgreSQL -> exact Jaccard check -> clusters).

Articles are generated batch by batch (Zipf-distributed vocabulary of agglutinated word forms); 10% are
near-duplicates of an earlier article (new lead sentence, footer, a few edited words) and 3% exact copies.
Reports wall time, articles/s, the Python process's peak RSS (getrusage) sampled per batch, PostgreSQL
sizes, and how many planted near-duplicates were linked. Runs on 2 cores (CPU affinity, inherited by the
embedded PostgreSQL). Not a test: nothing here asserts a time. Figures go to docs/dedup.md.

Usage: .venv/bin/python benchmarks/bench_dedup.py [--articles 100000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.targets import Target  # noqa: E402
from etl.dev.services import manager  # noqa: E402
from etl.store.db import raw_connection  # noqa: E402
from etl.store.load import load_rows  # noqa: E402
from etl.store.neardup_link import link_near_duplicates  # noqa: E402
from etl.transform.normalize import normalize_body  # noqa: E402

SYLLABLES = ("қа", "за", "ақ", "ст", "ан", "бі", "лі", "м", "ға", "ры", "ту", "ра", "лы", "ер", "ке", "ме",
             "жұ", "мы", "с", "ай", "та", "ді", "өң", "ір", "ша", "құ", "ұл", "тт", "ық", "ін", "ор", "ын")
SUFFIXES = ("", "", "", "да", "дың", "ға", "лар", "ларға", "ның", "ды", "мен", "ы", "і", "сы", "дағы", "нан")
VOCABULARY = 30_000


def vocabulary(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Word forms (stem + case suffix) and the cumulative Zipf (s = 1) distribution over them."""
    words = []
    for _ in range(VOCABULARY):
        stem = "".join(SYLLABLES[i] for i in rng.integers(0, len(SYLLABLES), rng.integers(2, 5)))
        words.append(stem + SUFFIXES[int(rng.integers(0, len(SUFFIXES)))])
    weights = 1.0 / np.arange(1, VOCABULARY + 1)
    return words, np.cumsum(weights / weights.sum())


def paragraphs(rng: np.random.Generator, words: list[str], cdf: np.ndarray) -> list[str]:
    """3-7 paragraphs of 2-4 sentences of 6-14 words."""
    result = []
    for _ in range(int(rng.integers(3, 8))):
        sentences = []
        for _ in range(int(rng.integers(2, 5))):
            picked = np.minimum(np.searchsorted(cdf, rng.random(int(rng.integers(6, 15)))), VOCABULARY - 1)
            text = " ".join(words[i] for i in picked)
            sentences.append(text[0].upper() + text[1:] + ".")
        result.append(" ".join(sentences))
    return result


def near_copy(rng: np.random.Generator, words: list[str], cdf: np.ndarray, source: list[str]) -> list[str]:
    """A republication: new first sentence, a footer paragraph, about one word in thirty edited."""
    copy = []
    for position, paragraph in enumerate(source):
        tokens = paragraph.split(" ")
        if position == 0:
            tokens = [*paragraphs(rng, words, cdf)[0].split(" ")[:10], *tokens[8:]]
        tokens = [t + "да" if rng.random() < 1 / 30 else t for t in tokens]
        copy.append(" ".join(tokens))
    copy.append("Бұған дейін осы тақырыпта жазған едік.")
    return copy


def row(run_id: int, number: int, body_paragraphs: list[str], published: datetime) -> dict[str, Any]:
    """One staged row as extract_run would produce it."""
    body = "\n".join(body_paragraphs)
    stamp = published.isoformat()
    return {
        "source": "kazinform", "article_id": f"b{number:07d}", "url": f"https://kaz.inform.kz/news/b-{number:07d}/",
        "canonical_url": f"https://kaz.inform.kz/news/b-{number:07d}/", "language": "kk", "title": f"Мақала {number}",
        "published_at": stamp, "published_raw": stamp, "body": body, "tags": [], "image_url": None,
        "content_hash": hashlib.sha256(body.encode()).hexdigest(), "warc_key": "raw/bench.warc.gz",
        "warc_offset": number, "extractor_version": "bench-1", "extraction": {}, "fetched_at": stamp,
        "crawl_run_id": run_id, "normalized_body": normalize_body(body_paragraphs), "detected_language": "kk",
        "script": "Cyrl", "language_shares": {"kk": 1.0}, "boilerplate_removed": [],
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(url: str, articles: int, batch: int, near: bool, run_id: int) -> dict[str, Any]:
    """Generate and dedup `articles` in batches; return timings and counts."""
    rng = np.random.default_rng(2026)
    words, cdf = vocabulary(rng)
    recent: list[tuple[int, list[str]]] = []  # a bounded window of earlier articles to copy from
    planted_near: dict[str, str] = {}
    load_s = near_s = 0.0
    rss_per_batch: list[float] = []
    start_day = datetime(2025, 1, 1, 9, tzinfo=UTC)
    for first in range(0, articles, batch):
        rows = []
        for number in range(first, min(first + batch, articles)):
            draw = rng.random()
            published = start_day + timedelta(minutes=5 * number)
            if recent and draw < 0.10:
                origin, text = recent[int(rng.integers(0, len(recent)))]
                body = near_copy(rng, words, cdf, text)
                planted_near[f"b{number:07d}"] = f"b{origin:07d}"
            elif recent and draw < 0.13:
                body = list(recent[int(rng.integers(0, len(recent)))][1])
            else:
                body = paragraphs(rng, words, cdf)
                recent.append((number, body))
                recent = recent[-5000:]
            rows.append(row(run_id, number, body, published))
        started = time.perf_counter()
        load_rows(url, rows)
        load_s += time.perf_counter() - started
        if near:
            started = time.perf_counter()
            with raw_connection(url) as conn, conn.cursor() as cur:
                cur.execute("SELECT id FROM articles WHERE article_id = ANY(%s)", ([r["article_id"] for r in rows],))
                link_near_duplicates(cur, [pk for (pk,) in cur.fetchall()])
            near_s += time.perf_counter() - started
        rss_per_batch.append(peak_rss_mb())
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT a.article_id, o.article_id, a.duplicate_kind FROM articles a
                       JOIN articles o ON o.id = a.duplicate_of""")
        links = {copy: (original, kind) for copy, original, kind in cur.fetchall()}
        cur.execute("SELECT pg_total_relation_size('minhash_lsh'), pg_total_relation_size('minhash_signatures'), "
                    "pg_total_relation_size('articles')")
        bands_bytes, signatures_bytes, articles_bytes = cur.fetchone()
    found = sum(1 for copy, original in planted_near.items() if links.get(copy) == (original, "near"))
    unplanted = sum(1 for copy, (_, kind) in links.items() if kind == "near" and copy not in planted_near)
    return {
        "articles": articles, "load_s": round(load_s, 1), "near_s": round(near_s, 1),
        "total_s": round(load_s + near_s, 1), "articles_per_s": round(articles / (load_s + near_s)),
        "exact_links": sum(1 for _, kind in links.values() if kind == "exact"),
        "near_links": sum(1 for _, kind in links.values() if kind == "near"),
        "planted_near": len(planted_near), "planted_near_found": found, "unplanted_near_links": unplanted,
        "peak_rss_mb_first_batch": round(rss_per_batch[0]), "peak_rss_mb_end": round(rss_per_batch[-1]),
        "minhash_lsh_mb": round(bands_bytes / 2**20), "minhash_signatures_mb": round(signatures_bytes / 2**20),
        "articles_table_mb": round(articles_bytes / 2**20),
    }


def measure(only: str, articles: int, batch: int) -> dict[str, Any]:
    """One mode on a fresh embedded PostgreSQL, in this process (so its peak RSS is this mode's alone)."""
    from etl.store import runs

    with manager.ephemeral("newsarchive-bench-dedup-") as settings:
        url = settings.require_database_url()
        start = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5)))
        bench_run = runs.create_run(url, "kazinform", date(2026, 1, 1), start, start + timedelta(days=1),
                                    refetch=False, trigger="bench")
        runs.record_archive(url, bench_run.id, "raw/bench.warc.gz", "raw/bench.manifest.json", "0" * 64, 1, 1, 1)
        return run(url, articles, batch, only == "near", bench_run.id)

# --- Scale: per-article cost of the near-duplicate step as the archive grows (issue 13) -------------------------

SCALE_SIZES = (10_000, 30_000, 100_000, 300_000)
SCALE_BATCH = 1_000  # new articles per measured run of the step (a day of 8 sources is ~1,200)
SCALE_REPEATS = {False: 4, True: 2}  # measured batches per archive size (full, quick); the cheapest counts
_PREFILL_COLUMNS = ("source", "article_id", "url", "canonical_url", "language", "title", "published_at", "body",
                    "content_hash", "warc_key", "warc_offset", "extractor_version", "crawl_run_id",
                    "normalized_body", "detected_language", "script")


def fast_paragraphs(rng: np.random.Generator, words: list[str], cdf: np.ndarray) -> list[str]:
    """The same law as `paragraphs` (3-7 paragraphs of 2-4 sentences of 6-14 Zipf words), drawn at once."""
    shape = [[int(n) for n in rng.integers(6, 15, int(rng.integers(2, 5)))] for _ in range(int(rng.integers(3, 8)))]
    picked = np.minimum(np.searchsorted(cdf, rng.random(sum(map(sum, shape)))), VOCABULARY - 1).tolist()
    result, at = [], 0
    for lengths in shape:
        sentences = []
        for length in lengths:
            text = " ".join(words[i] for i in picked[at:at + length])
            at += length
            sentences.append(text[0].upper() + text[1:] + ".")
        result.append(" ".join(sentences))
    return result


def _prefill(url: str, run_id: int, first: int, count: int, rng: np.random.Generator, words: list[str],
             cdf: np.ndarray, pool: list[list[str]]) -> float:
    """Add `count` distinct generated stories to the archive: articles by COPY, their MinHash index by the real
    `store_index` (signatures of the real texts). Returns the seconds taken. Keeps a bounded pool to copy from."""
    import psycopg2
    from psycopg2 import sql

    from etl.store.load import copy_value
    from etl.store.neardup_link import store_index
    from etl.transform import neardup

    started = time.perf_counter()
    with raw_connection(url) as conn, conn.cursor() as cur:
        # The band indexes are dropped for the COPY and built again after it (as a bulk load or REINDEX would):
        # the same definitions (migration 0019), read back from the catalog.
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'minhash_lsh' "
                    "AND indexname <> 'minhash_lsh_pkey'")
        band_indexes = cur.fetchall()
        for name, _ in band_indexes:
            cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    for chunk in range(first, first + count, 10_000):
        stream, texts = [], []
        for number in range(chunk, min(chunk + 10_000, first + count)):
            body_paragraphs = fast_paragraphs(rng, words, cdf)
            body = "\n".join(body_paragraphs)
            # What normalize_body gives for these texts (no look-alikes, no invisible characters; checked on
            # the first article of every chunk), 10x faster.
            normalized = "\n".join(paragraph.casefold() for paragraph in body_paragraphs)
            if number == chunk and normalized != normalize_body(body_paragraphs):
                raise AssertionError("generated text is not its own normalized form")
            published = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=5 * number)
            values = ("kazinform", f"p{number:07d}", f"https://kaz.inform.kz/news/p-{number:07d}/",
                      f"https://kaz.inform.kz/news/p-{number:07d}/", "kk", f"Мақала {number}", published.isoformat(),
                      body, hashlib.sha256(body.encode()).hexdigest(), "raw/bench.warc.gz", number, "bench-1",
                      run_id, normalized, "kk", "Cyrl")
            stream.append("\t".join(copy_value(v) for v in values))
            texts.append(normalized)
            if len(pool) < 20_000:
                pool.append(body_paragraphs)
            elif rng.random() < 0.1:
                pool[int(rng.integers(0, len(pool)))] = body_paragraphs
        with raw_connection(url) as conn, conn.cursor() as cur:
            cur.copy_expert(f"COPY articles ({', '.join(_PREFILL_COLUMNS)}) FROM STDIN",
                            io.StringIO("\n".join(stream) + "\n"))
            cur.execute("SELECT id, content_hash, article_id FROM articles WHERE article_id = ANY(%s)",
                        ([f"p{n:07d}" for n in range(chunk, chunk + len(stream))],))
            by_id = {article_id: (pk, content_hash) for pk, content_hash, article_id in cur.fetchall()}
            items = []
            for offset, text in enumerate(texts):
                pk, content_hash = by_id[f"p{chunk + offset:07d}"]
                items.append((pk, content_hash, neardup.signature(neardup.shingles(text))))
            store_index(cur, items)
    with raw_connection(url) as conn, conn.cursor() as cur:
        for _, definition in band_indexes:
            cur.execute(definition)
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")  # what autovacuum does to tables that grew by this much
    finally:
        conn.close()
    return time.perf_counter() - started


def _measured_batch(url: str, run_id: int, first: int, rng: np.random.Generator, words: list[str],
                    cdf: np.ndarray, pool: list[list[str]]) -> tuple[float, float, int, int]:
    """Load SCALE_BATCH new articles (10% near copies of archived stories, 3% exact copies, the rest new) with
    the real load step, then time the real near-duplicate step on them: (wall seconds, CPU seconds of this
    process and its PostgreSQL backend, planted, found)."""
    rows, planted = [], {}
    for number in range(first, first + SCALE_BATCH):
        draw = rng.random()
        published = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
        origin = int(rng.integers(0, len(pool)))
        if draw < 0.10:
            body = near_copy(rng, words, cdf, pool[origin])
            planted[f"b{number:07d}"] = origin
        elif draw < 0.13:
            body = list(pool[origin])
        else:
            body = fast_paragraphs(rng, words, cdf)
        rows.append(row(run_id, number, body, published))
    load_rows(url, rows)
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = int(cur.fetchone()[0])
        cur.execute("SELECT id FROM articles WHERE article_id = ANY(%s) ORDER BY id", ([r["article_id"] for r in rows],))
        ids = [pk for (pk,) in cur.fetchall()]
        conn.commit()
        cpu_before = _cpu_seconds(backend) + time.process_time()
        started = time.perf_counter()
        link_near_duplicates(cur, ids)
        conn.commit()
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds(backend) + time.process_time() - cpu_before
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles WHERE article_id = ANY(%s) AND duplicate_kind = 'near'",
                    (list(planted),))
        found = int(cur.fetchone()[0])
    return seconds, cpu, len(planted), found


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a local process has used so far: here the PostgreSQL backend of the step."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scale(sizes: tuple[int, ...], shared_buffers: str | None = None, repeats: int = SCALE_REPEATS[False]
          ) -> dict[str, Any]:
    """Grow one archive through `sizes` and measure the step's per-article cost at each (this process), on the
    embedded server's defaults or with its `shared_buffers` set (a server sized for its data)."""
    import psycopg2

    from etl.store import runs

    rng = np.random.default_rng(2027)
    words, cdf = vocabulary(rng)
    pool: list[list[str]] = []
    result: dict[str, Any] = {"sizes": {}}
    with manager.ephemeral("newsarchive-bench-neardup-") as settings:
        url = settings.require_database_url()
        if shared_buffers:
            conn = psycopg2.connect(url)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("ALTER SYSTEM SET shared_buffers = %s", (shared_buffers,))
            conn.close()
            manager.down(settings)
            settings = manager.up(dataclasses.replace(settings, database_url=None, s3_endpoint_url=None))
            url = settings.require_database_url()
        with raw_connection(url) as conn, conn.cursor() as cur:
            cur.execute("SHOW shared_buffers")
            result["shared_buffers"] = cur.fetchone()[0]
        start = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5)))
        bench_run = runs.create_run(url, "kazinform", date(2026, 1, 1), start, start + timedelta(days=1),
                                    refetch=False, trigger="bench")
        runs.record_archive(url, bench_run.id, "raw/bench.warc.gz", "raw/bench.manifest.json", "0" * 64, 1, 1, 1)
        with raw_connection(url) as conn, conn.cursor() as cur:
            # The two full-text search indexes (migration 0004) cost 1 ms per prefilled row and play no part in
            # near-duplicate linking (the step's link updates skip them too, a constant per duplicate).
            cur.execute("DROP INDEX articles_search_trgm; DROP INDEX articles_search_vector")
        archived = prefill_s = 0
        measured = 0
        for size in sizes:
            prefill_s += _prefill(url, bench_run.id, archived, size - archived - measured, rng, words, cdf, pool)
            archived = size - measured
            per_article, planted, found = [], 0, 0
            # One batch first, not counted: it reads the freshly rebuilt band indexes into shared buffers, where a
            # daily run finds them after the previous day's run (as far as they fit).
            _measured_batch(url, bench_run.id, measured, rng, words, cdf, pool)
            measured += SCALE_BATCH
            cpu_per_article = []
            for _ in range(repeats):
                seconds, cpu, batch_planted, batch_found = _measured_batch(
                    url, bench_run.id, measured, rng, words, cdf, pool)
                measured += SCALE_BATCH
                per_article.append(seconds / SCALE_BATCH * 1000)
                cpu_per_article.append(cpu / SCALE_BATCH * 1000)
                planted, found = planted + batch_planted, found + batch_found
            with raw_connection(url) as conn, conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM articles")
                total = int(cur.fetchone()[0])
                cur.execute("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                            "WHERE c.relname LIKE 'minhash%%' AND c.relkind = 'r'")
                index_bytes = int(cur.fetchone()[0])
            result["sizes"][str(size)] = {
                "archive": total, "ms_per_article": round(min(per_article), 3),
                "ms_per_article_runs": [round(v, 3) for v in per_article], "planted_near": planted,
                "planted_near_found": found, "index_mb": round(index_bytes / 2**20, 1),
                "cpu_ms_per_article": round(min(cpu_per_article), 3),
                "cpu_ms_per_article_runs": [round(v, 3) for v in cpu_per_article],
                "load_average": round(os.getloadavg()[0], 1),
                "peak_rss_mb": round(peak_rss_mb()),
            }
            print(json.dumps({size: result["sizes"][str(size)]}), file=sys.stderr, flush=True)
        result["prefill_s"] = round(prefill_s, 1)
    result["peak_rss_mb"] = round(peak_rss_mb())
    return result


def targets(quick: bool) -> list[Target]:
    """`neardup_300k_vs_10k` and `neardup_peak_rss_mb`, from one growing archive measured in a child process
    (quick mode stops at 100k articles)."""
    sizes = SCALE_SIZES[:3] if quick else SCALE_SIZES
    child = subprocess.run([sys.executable, __file__, "--scale", ",".join(map(str, sizes)),
                            "--repeats", str(SCALE_REPEATS[quick])], check=True,
                           stdout=subprocess.PIPE, text=True)  # progress (one line per size) on stderr
    result = json.loads(child.stdout.strip().splitlines()[-1])
    per_size = result["sizes"]
    largest = str(sizes[-1])
    wall_ratio = per_size[largest]["ms_per_article"] / per_size["10000"]["ms_per_article"]
    figures = {f"ms_per_article_at_{int(size) // 1000}k": f"{values['ms_per_article']:.2f}"
               for size, values in per_size.items()}
    for size, values in per_size.items():
        label = f"{int(size) // 1000}k"
        figures[f"cpu_ms_per_article_at_{label}"] = f"{values['cpu_ms_per_article']:.2f}"
        figures[f"index_mb_at_{label}"] = f"{values['index_mb']:.0f}"
        figures[f"load_average_at_{label}"] = f"{values['load_average']:.1f}"
    cpu_ratio = per_size[largest]["cpu_ms_per_article"] / per_size["10000"]["cpu_ms_per_article"]
    figures["wall_ratio"] = f"{wall_ratio:.2f}"
    figures["cpu_ratio"] = f"{cpu_ratio:.2f}"
    # The larger of the two: on a shared machine either one alone can look flat by chance (a loaded 10k batch).
    ratio = max(wall_ratio, cpu_ratio)
    found = sum(v["planted_near_found"] for v in per_size.values())
    planted = sum(v["planted_near"] for v in per_size.values())
    data = (f"archive of distinct generated Kazakh-like stories (Zipf vocabulary, ~150 words), COPY-prefilled with "
            f"their real MinHash index; each measured batch: {SCALE_BATCH} new articles through the real load and "
            f"near-dup steps, 10% near copies and 3% exact copies of archived stories; {found} of {planted} planted "
            f"near copies linked")
    scope = "" if largest == "300000" else f"quick mode: archive of {int(largest) // 1000}k, not 300k; "
    return [
        Target("neardup_300k_vs_10k", round(ratio, 3), 1.2, lower_is_better=True,
               detail=f"{scope}per-article cost of the near-dup step at {int(largest) // 1000}k / at 10k, the larger "
                      f"of wall time ({wall_ratio:.2f}x) and CPU time of the process and its PostgreSQL backend "
                      f"({cpu_ratio:.2f}x), each the cheapest of {SCALE_REPEATS[quick]} batches per size; {data}",
               figures=figures),
        Target("neardup_peak_rss_mb", float(result["peak_rss_mb"]), 1024, unit=" MB", lower_is_better=True,
               detail=f"peak RSS of the benchmark process (generator, prefill and step) up to "
                      f"{int(largest) // 1000}k articles; PostgreSQL not included", figures={}),
    ]


def main() -> int:
    """Run the baseline and ours, each in a fresh child process and PostgreSQL, and print both as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--only", choices=("baseline", "near"), default=None, help="run one mode in this process")
    parser.add_argument("--scale", default=None, help="archive sizes (comma-separated) for the scale run, this process")
    parser.add_argument("--targets", choices=("quick", "full"), default=None, help="print the scale targets")
    parser.add_argument("--shared-buffers", default=None, help="scale run: the server's shared_buffers (e.g. 1GB)")
    parser.add_argument("--repeats", type=int, default=SCALE_REPEATS[False], help="scale run: batches per size")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:2]))  # children and PostgreSQL inherit it
    if args.scale:
        # Stopped (benchmarks/run.py's budget): SIGTERM becomes SystemExit, so the embedded servers are stopped.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        sizes = tuple(int(size) for size in args.scale.split(","))
        print(json.dumps(scale(sizes, args.shared_buffers, args.repeats)), flush=True)
        return 0
    if args.targets:
        for target in targets(args.targets == "quick"):
            print(json.dumps({"detail": target.detail, "figures": target.figures}))
            print(target.line())
        return 0
    if args.only:
        print(json.dumps(measure(args.only, args.articles, args.batch)), flush=True)
        return 0
    results: dict[str, Any] = {"cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None}
    for mode in ("baseline", "near"):
        child = subprocess.run([sys.executable, __file__, "--only", mode, "--articles", str(args.articles),
                                "--batch", str(args.batch)], check=True, capture_output=True, text=True)
        results["baseline_exact_only" if mode == "baseline" else "exact_plus_near"] = json.loads(
            child.stdout.strip().splitlines()[-1])
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
