"""Export benchmark: rows/s and peak RSS of `newsarchive export` per format, side by side with a bare
`COPY (SELECT ...) TO STDOUT` of the same rows into a file, at two sizes to show memory stays flat.

Starts its own embedded PostgreSQL + S3 (private state dir, free ports), loads N synthetic Kazakh articles with
COPY (spread over 100 local days), then runs every export in a fresh subprocess so each peak RSS (VmHWM) is its
own. Usage: .venv/bin/python benchmarks/bench_export.py [--rows 100000]
Not a test: nothing here asserts a time. Figures go to docs/querying.md.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GOLDEN = REPO / "tests" / "golden" / "kazinform"
DAYS = 100
SMALL_UNTIL = date(2025, 1, 10)  # the first 10 of the 100 days: a tenth of the rows


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(fmt: str, url: str, out: Path, until: str | None) -> None:
    """Run one export (or the COPY baseline) and print {"rows", "seconds", "rss_mb"} as JSON."""
    from zoneinfo import ZoneInfo

    from etl.read.export import COLUMNS, ExportFilter, export
    from etl.store.db import raw_connection

    flt = ExportFilter(until=date.fromisoformat(until) if until else None)
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
        rows = export(url, fmt, out, flt, ZoneInfo("Asia/Almaty")).written
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - start, "rss_mb": peak_rss_mb()}))


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
    """Fill the archive with `count` synthetic articles (one crawl run, one WARC row)."""
    from etl.store import runs
    from etl.store.db import raw_connection

    start = datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    run = runs.create_run(url, "kazinform", start.date(), start, start + timedelta(days=DAYS), refetch=False,
                          trigger="bench")
    key = "raw/source=kazinform/date=2025-01-01/bench.warc.gz"
    runs.record_archive(url, run.id, key, key + ".manifest", "0" * 64, 10, 2, 1)
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT name FROM sources ORDER BY name LIMIT 2")
        sources = [name for (name,) in cur.fetchall()]
        cur.copy_expert("COPY articles (source, article_id, url, canonical_url, language, title, published_at, body, "
                        "content_hash, warc_key, warc_offset, extractor_version, crawl_run_id) FROM STDIN",
                        synthetic_rows(count, sources, run.id, key))
        cur.execute("ANALYZE articles")


def run_child(fmt: str, url: str, out: Path, until: str | None) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", fmt, "--url", url, "--out", str(out)]
    if until:
        args += ["--until", until]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child")
    parser.add_argument("--url")
    parser.add_argument("--out")
    parser.add_argument("--until")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, Path(args.out), args.until)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
