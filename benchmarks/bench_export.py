"""Export benchmark: rows/s and peak RSS of `newsarchive export` per format, side by side with a bare
`COPY (SELECT ...) TO STDOUT` of the same rows into a file, at two sizes to show memory stays flat.

Starts its own embedded PostgreSQL + S3 (private state dir, free ports), loads N synthetic Kazakh articles with
COPY (spread over 100 local days; bodies of 4 golden paragraphs, ~800 characters), then runs every export in a
fresh subprocess so each peak RSS (VmHWM) is its own. The baseline COPY writes every column of `COLUMNS` (the
Parquet export's) of the same rows, in the export's order, into one file. `targets()` gives
`export_corpus_vs_copy`: corpus export vs that COPY, alternated, median of the rounds.
Usage: .venv/bin/python benchmarks/bench_export.py [--rows 100000] [--quick]
Not a test: nothing here asserts a time. Figures go to docs/querying.md.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.targets import Target  # noqa: E402

GOLDEN = REPO / "tests" / "golden" / "kazinform"
DAYS = 100
TZ = ZoneInfo("Asia/Almaty")
SMALL_UNTIL = date(2025, 1, 10)  # the first 10 of the 100 days: a tenth of the rows


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(fmt: str, url: str, out: Path, until: str | None, documents: Path | None = None) -> None:
    """Run one export (or a baseline) and print {"rows", "seconds", "rss_mb"} as JSON."""
    from etl.read.export import COLUMNS, ExportFilter, export
    from etl.store.db import raw_connection

    flt = ExportFilter(until=date.fromisoformat(until) if until else None)
    if fmt == "files":
        assert documents is not None, "--documents: the folder of a corpus export"
        rows, seconds = create_files(documents, out)
        print(json.dumps({"rows": rows, "seconds": seconds, "rss_mb": peak_rss_mb()}))
        return
    start = time.perf_counter()
    if fmt == "copy":
        where, params = flt.where()
        columns = ", ".join(f"a.{c}" for c in COLUMNS)
        with raw_connection(url) as conn, conn.cursor() as cur, out.open("w", encoding="utf-8") as handle:
            query = cur.mogrify(f"SELECT {columns} FROM articles a WHERE {where} "
                                "ORDER BY a.source, a.published_at, a.id", params).decode()
            cur.copy_expert(f"COPY ({query}) TO STDOUT", handle)
            cur.execute(f"SELECT count(*) FROM articles a WHERE {where}", params)
            rows = cur.fetchone()[0]
    else:
        rows = export(url, fmt, out, flt, TZ).written
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - start, "rss_mb": peak_rss_mb()}))


def create_files(documents: Path, out: Path) -> tuple[int, float]:
    """What creating the files costs on this disk: the documents of a corpus export read first (untimed), then a
    plain loop creating the same files in their folders under `out` (open, write, close; timed)."""
    files = [(path.relative_to(documents), path.read_bytes()) for path in sorted(documents.rglob("*.txt"))]
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    start = time.perf_counter()
    for name, data in files:
        path = out / name
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True)
        fd = os.open(path, flags, 0o666)
        os.write(fd, data)
        os.close(fd)
    return len(files), time.perf_counter() - start


def synthetic_rows(count: int, sources: list[str], run_id: int, warc_key: str) -> io.StringIO:
    """COPY text for `count` articles built from golden paragraphs, each body unique."""
    paragraphs = [p for f in sorted(GOLDEN.glob("*.truth.json"))
                  for p in json.loads(f.read_text(encoding="utf-8"))["paragraphs"]]
    titles = [json.loads(f.read_text(encoding="utf-8"))["title"] for f in sorted(GOLDEN.glob("*.truth.json"))]
    rng = random.Random(7)
    base = datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    out = io.StringIO()
    for i in range(count):
        source = sources[i % len(sources)]
        body = "\n".join([f"АСТАНА. KAZINFORM – {i}-хабар.", *rng.sample(paragraphs, 4)])
        published = base + timedelta(seconds=int(i * DAYS * 86400 / count))
        fields = [source, f"s{i:07d}", f"https://kaz.inform.kz/news/s-{i:07d}/", f"https://kaz.inform.kz/news/s-{i:07d}/",
                  "kk", rng.choice(titles), published.isoformat(), body, hashlib.sha256(body.encode()).hexdigest(),
                  warc_key, str(i * 100), "bench-1", str(run_id)]
        out.write("\t".join(f.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") for f in fields))
        out.write("\n")
    out.seek(0)
    return out


def load(url: str, count: int) -> None:
    """Fill the archive with `count` synthetic articles (one crawl run, one WARC row), in bulk mode."""
    from etl.store import bulk, runs
    from etl.store.db import raw_connection

    start = datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    run = runs.create_run(url, "kazinform", start.date(), start, start + timedelta(days=DAYS), refetch=False,
                          trigger="bench")
    key = "raw/source=kazinform/date=2025-01-01/bench.warc.gz"
    runs.record_archive(url, run.id, key, key + ".manifest", "0" * 64, 10, 2, 1)
    with bulk.search_indexes_deferred(url), raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT name FROM sources ORDER BY name LIMIT 2")
        sources = [name for (name,) in cur.fetchall()]
        cur.copy_expert("COPY articles (source, article_id, url, canonical_url, language, title, published_at, body, "
                        "content_hash, warc_key, warc_offset, extractor_version, crawl_run_id) FROM STDIN",
                        synthetic_rows(count, sources, run.id, key))
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("ANALYZE articles")


def run_child(fmt: str, url: str, out: Path, until: str | None, documents: Path | None = None) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", fmt, "--url", url, "--out", str(out)]
    if until:
        args += ["--until", until]
    if documents:
        args += ["--documents", str(documents)]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def corpus_vs_copy(url: str, rows: int, rounds: int, state: Path) -> Target:
    """Corpus export vs the COPY baseline on the whole archive, alternated `rounds` times (medians)."""
    seconds: dict[str, list[float]] = {"copy": [], "corpus": [], "files": []}
    for index in range(rounds):
        for fmt in seconds:
            # The plain file loop writes the files the corpus export of this round wrote.
            result = run_child(fmt, url, state / f"target-{fmt}-{index}", None, state / f"target-corpus-{index}")
            seconds[fmt].append(result["seconds"])
    copy_s, corpus_s, files_s = (statistics.median(seconds[name]) for name in ("copy", "corpus", "files"))
    return Target("export_corpus_vs_copy", copy_s / corpus_s, 0.5,
                  detail="corpus export (one file per article) vs COPY TO one file of the same rows",
                  figures={"rows": f"{rows:,}, median of {rounds}",
                           "corpus export": f"{rows / corpus_s:,.0f} rows/s",
                           "COPY TO (every exported column, one file)": f"{rows / copy_s:,.0f} rows/s",
                           "the same files by a plain loop (no database)": f"{rows / files_s:,.0f} files/s, "
                                                                   f"{copy_s / files_s:.2f}x of COPY TO"})


def targets(quick: bool) -> list[Target]:
    """`export_corpus_vs_copy` (quick: 20,000 rows, 3 rounds; else 100,000 rows, 3 rounds)."""
    from etl.dev.services import manager

    rows = 20_000 if quick else 100_000
    state = Path(tempfile.mkdtemp(prefix="newsarchive-bench-export-"))
    try:
        with manager.ephemeral("newsarchive-bench-export-state-") as settings:
            url = settings.require_database_url()
            load(url, rows)
            return [corpus_vs_copy(url, rows, 3, state)]
    finally:
        shutil.rmtree(state, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="only the target, on 20,000 rows")
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--out")
    parser.add_argument("--until")
    parser.add_argument("--documents")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, Path(args.out), args.until, Path(args.documents) if args.documents else None)
        return 0

    if args.quick:
        for target in targets(True):
            for name, value in target.figures.items():
                print(f"{name:44} {value}")
            print(target.line())
        return 0

    from etl.dev.services import manager

    state = Path(tempfile.mkdtemp(prefix="newsarchive-bench-export-"))
    with manager.ephemeral("newsarchive-bench-export-state-") as settings:
        url = settings.require_database_url()
        started = time.perf_counter()
        load(url, args.rows)
        print(f"loaded {args.rows} synthetic articles in {time.perf_counter() - started:.1f} s")
        print(f"{'format':8} {'rows':>8} {'seconds':>8} {'rows/s':>9} {'vs COPY':>8} {'peak RSS':>9}")
        for until, label in ((SMALL_UNTIL.isoformat(), "1/10"), (None, "all")):
            baseline = 0.0
            for fmt in ("copy", "jsonl", "corpus", "parquet"):
                out = state / f"out-{label.replace('/', '_')}-{fmt}"
                result = run_child(fmt, url, out, until)
                rate = result["rows"] / result["seconds"]
                baseline = baseline or rate
                print(f"{fmt:8} {result['rows']:>8} {result['seconds']:>8.2f} {rate:>9,.0f} {rate / baseline:>7.2f}x "
                      f"{result['rss_mb']:>7.0f} MiB")
        target = corpus_vs_copy(url, args.rows, 3, state)
        for name, value in target.figures.items():
            print(f"{name:44} {value}")
        print(target.line())
    shutil.rmtree(state, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
