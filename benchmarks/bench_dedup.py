"""Dedup of synthetic Kazakh-like articles on the real embedded PostgreSQL, in daily batches, side by side:

1. baseline: exact-hash dedup only (the load step: COPY + upsert + versions + `relink_exact`);
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
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

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
        cur.execute("SELECT pg_total_relation_size('minhash_bands'), pg_total_relation_size('minhash_signatures'), "
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
        "minhash_bands_mb": round(bands_bytes / 2**20), "minhash_signatures_mb": round(signatures_bytes / 2**20),
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


def main() -> int:
    """Run the baseline and ours, each in a fresh child process and PostgreSQL, and print both as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2_000)
    parser.add_argument("--only", choices=("baseline", "near"), default=None, help="run one mode in this process")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:2]))  # children and PostgreSQL inherit it
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
