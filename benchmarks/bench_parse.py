"""Parser benchmark: pages/s of each source's parser vs a bare lxml parse of the same pages, side by side.

Data, two sets measured alike: (1) every golden page of each source (tests/golden/<source>/<id>.html.gz, all of
them, none picked out), as the bytes a fetch returns: real layouts, but trimmed to 2-7 KiB, so the parse itself is
short and the parser's fixed work per page dominates; (2) one generated day of the year-scale benchmark
(benchmarks/yeargen.py, GENERATED_PER_SOURCE article pages per source): the same templates with real-looking chrome at
50-150 KB a page, the size of the sites' real pages. The targets are measured on (1), the harder case; (2) is in
each target's figures. The parser is the whole of extraction (`etl.sources.extract_article` with the page's fetch
and discovery dates from `<id>.meta.json`: decoding, parsing, every field's chain, the `Article`); the baseline is
`lxml.html.fromstring` of the same bytes. Each round times one pass of each over the source's pages (each page
`repeat` times), in alternating order, in CPU time of the benchmark's thread (on a shared machine, wall time
also counts waiting for a core); the figures are medians over the rounds, and the target is the ratio of the
parser's pages/s to lxml's. The full run also times trafilatura (`bare_extraction`, the generic fallback)
on the Kazinform pages, the comparison this project used to publish.

Usage: .venv/bin/python benchmarks/bench_parse.py [--quick] [--rounds N] [--repeat N]
Not a test: nothing here asserts a time. Reads no settings.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.targets import Target  # noqa: E402

GOLDEN_ROOT = REPO / "tests" / "golden"
GOAL = 0.5  # issue 13: each parser at least half as fast as a bare lxml parse of the same pages
QUICK_ROUNDS, FULL_ROUNDS = 7, 21
#: Passes over a source's pages per timed run, so that one run lasts tens of milliseconds even for 11 pages.
QUICK_REPEAT, FULL_REPEAT = 5, 20


@dataclass(frozen=True)
class Golden:
    """One golden page as extraction gets it."""

    source: str
    url: str
    raw: bytes
    fetched_at: datetime | None
    listed_at: datetime | None


def golden_pages(root: Path = GOLDEN_ROOT) -> dict[str, list[Golden]]:
    """Every golden page under `root`, by source (sorted by source and page id)."""
    from etl.read.golden import HTML_SUFFIX, sibling

    pages: dict[str, list[Golden]] = {}
    for path in sorted(root.glob(f"*/*{HTML_SUFFIX}")):
        meta = json.loads(sibling(path, ".meta.json").read_text(encoding="utf-8"))
        crawl, listed = meta.get("crawl_date"), meta.get("listed_at")
        pages.setdefault(meta["source"], []).append(Golden(
            meta["source"], meta["url"], gzip.decompress(path.read_bytes()),
            datetime.fromisoformat(crawl) if crawl else None, datetime.fromisoformat(listed) if listed else None,
        ))
    return pages


#: Article pages per source in the generated set (one day of benchmarks/yeargen.py).
GENERATED_PER_SOURCE = 12


def generated_pages(per_source: int = GENERATED_PER_SOURCE) -> dict[str, list[Golden]]:
    """Article pages of one generated day (realistic sizes), by source, found by each source's own URL rule."""
    import tempfile

    from benchmarks import yeargen
    from etl.sources import all_sources

    by_host = {host: source for source in all_sources() for host in source.hosts}
    pages: dict[str, list[Golden]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as folder:
        root = Path(folder)
        yeargen.generate(root, yeargen.date(2026, 2, 2), 1, per_day=(per_source, per_source))
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "@" not in p.name):
            host, *parts = path.relative_to(root).parts
            source = by_host.get(host)
            if source is None:
                continue
            inner = "/".join(parts[:-1] if parts[-1] == "index.html" else parts)
            url = next((u for u in (f"https://{host}/{inner}/", f"https://{host}/{inner}")
                        if source.is_article_url(u)), None)
            if url is not None:
                pages.setdefault(source.name, []).append(Golden(source.name, url, path.read_bytes(), None, None))
    return pages


def _timed(func: Callable[[], None]) -> float:
    """CPU seconds this thread spends in one call of `func` (the machine is shared: time spent waiting for a core
    would be noise), garbage collected before."""
    gc.collect()
    start = time.thread_time()
    func()
    return time.thread_time() - start


def measure(pages: list[Golden], rounds: int, repeat: int) -> tuple[float, float]:
    """Median pages/s of the parser and of a bare lxml parse over `pages`, timed in alternating rounds."""
    import lxml.html

    from etl.sources import extract_article

    work = pages * repeat

    def parser() -> None:
        for page in work:
            extract_article(page.source, page.url, page.raw, fetched_at=page.fetched_at, listed_at=page.listed_at)

    def bare() -> None:
        for page in work:
            lxml.html.fromstring(page.raw)

    parser()  # warm: imports, compiled selectors, caches
    bare()
    ours: list[float] = []
    base: list[float] = []
    for round_ in range(rounds):
        if round_ % 2:
            ours.append(_timed(parser))
            base.append(_timed(bare))
        else:
            base.append(_timed(bare))
            ours.append(_timed(parser))
    return len(work) / statistics.median(ours), len(work) / statistics.median(base)


def trafilatura_rate(pages: list[Golden], rounds: int) -> float:
    """Median pages/s of trafilatura's `bare_extraction` (metadata on) over `pages`."""
    import trafilatura

    def run() -> None:
        for page in pages:
            trafilatura.bare_extraction(page.raw.decode("utf-8"), url=page.url, with_metadata=True)

    run()
    return len(pages) / statistics.median(_timed(run) for _ in range(rounds))


def targets(quick: bool) -> list[Target]:
    """One target per source, `parser_<source>_vs_lxml`: the parser's pages/s over lxml's (goal >= 0.5)."""
    return run(QUICK_ROUNDS if quick else FULL_ROUNDS, QUICK_REPEAT if quick else FULL_REPEAT, trafilatura=not quick)


def run(rounds: int, repeat: int, *, trafilatura: bool = False) -> list[Target]:
    """Measure every source with golden pages; the Kazinform target also carries trafilatura's rate when asked."""
    logging.disable(logging.WARNING)  # the chain logs fallbacks per page: not what is measured
    try:
        found = []
        generated = generated_pages()
        for source, pages in golden_pages().items():
            ours, base = measure(pages, rounds, repeat)
            figures = {
                "pages": str(len(pages)),
                "kib_per_page": f"{sum(len(page.raw) for page in pages) / len(pages) / 1024:.1f}",
                "parser_pages_per_s": f"{ours:.0f}",
                "lxml_pages_per_s": f"{base:.0f}",
            }
            if big := generated.get(source):
                big_ours, big_base = measure(big, rounds, 1)
                figures.update({
                    "generated_pages": str(len(big)),
                    "generated_kib_per_page": f"{sum(len(page.raw) for page in big) / len(big) / 1024:.1f}",
                    "generated_parser_pages_per_s": f"{big_ours:.0f}",
                    "generated_lxml_pages_per_s": f"{big_base:.0f}",
                    "generated_ratio": f"{big_ours / big_base:.2f}",
                })
            if trafilatura and source == "kazinform":
                figures["trafilatura_pages_per_s"] = f"{trafilatura_rate(pages, max(3, rounds // 4)):.0f}"
            found.append(Target(
                f"parser_{source}_vs_lxml", ours / base, GOAL,
                detail=(f"{len(pages)} golden pages ({figures['kib_per_page']} KiB each on average), {ours:,.0f} vs "
                        f"{base:,.0f} pages/s, median of {rounds} alternating rounds"
                        + (f"; on {figures['generated_pages']} generated {figures['generated_kib_per_page']} KiB "
                           f"pages {figures['generated_ratio']}x" if "generated_ratio" in figures else "")),
                figures=figures,
            ))
        return found
    finally:
        logging.disable(logging.NOTSET)


def main(argv: list[str] | None = None) -> int:
    """Print one line per source and the target lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds of {QUICK_REPEAT} passes")
    parser.add_argument("--rounds", type=int, help=f"rounds (default {FULL_ROUNDS}, quick {QUICK_ROUNDS})")
    parser.add_argument("--repeat", type=int, help=f"passes per round (default {FULL_REPEAT}, quick {QUICK_REPEAT})")
    args = parser.parse_args(argv)
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)
    repeat = args.repeat or (QUICK_REPEAT if args.quick else FULL_REPEAT)
    found = run(rounds, repeat, trafilatura=not args.quick)
    print(f"{'source':14} {'pages':>5} {'KiB':>5} {'parser/s':>9} {'lxml/s':>9} {'ratio':>6}   generated pages: "
          f"{'KiB':>5} {'parser/s':>9} {'lxml/s':>9} {'ratio':>6}")
    for target in found:
        f = target.figures
        print(f"{target.name.removeprefix('parser_').removesuffix('_vs_lxml'):14} {f['pages']:>5} "
              f"{f['kib_per_page']:>5} {f['parser_pages_per_s']:>9} {f['lxml_pages_per_s']:>9} {target.measured:>5.2f}x"
              f"   {f.get('generated_kib_per_page', '-'):>21} {f.get('generated_parser_pages_per_s', '-'):>9} "
              f"{f.get('generated_lxml_pages_per_s', '-'):>9} {f.get('generated_ratio', '-'):>5}x")
        if "trafilatura_pages_per_s" in f:
            print(f"{'':14} trafilatura bare_extraction on the same pages: {f['trafilatura_pages_per_s']} pages/s")
    for target in found:
        print(target.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
