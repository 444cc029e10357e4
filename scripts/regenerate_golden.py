"""Regenerate (or, with --check, verify) the golden expectations of the parser tests.

For every `tests/golden/<source>/<id>.html.gz` with its `<id>.meta.json`, writes `<id>.json` and
`<id>.corpus.txt` as `etl.read.golden.render` renders them, printing the diff of each file that changes.
`--check` writes nothing and exits 1 on any difference. Reads no settings.

    .venv/bin/python scripts/regenerate_golden.py [--check] [--root tests/golden]
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from etl.read.golden import HTML_SUFFIX, Golden, diff, golden_pages, render, sibling

__all__ = ["HTML_SUFFIX", "Golden", "golden_pages", "main", "render", "sibling"]

logger = logging.getLogger("regenerate_golden")

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "tests" / "golden"


def _read(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    return path.read_text(encoding="utf-8") if path.exists() else None


def _sync(path: Path, expected: str | None, check: bool) -> bool:
    """Write (or in check mode compare) one expected file; True when it was already up to date."""
    old = _read(path)
    if old == expected:
        return True
    logger.info("%s", diff(path, old, expected).rstrip("\n"))
    if check:
        logger.error("differs: %s", path)
    elif expected is None:
        path.unlink()
        logger.info("removed %s", path)
    else:
        path.write_text(expected, encoding="utf-8", newline="")
        logger.info("wrote %s", path)
    return False


def main(argv: list[str] | None = None) -> int:
    """Regenerate or check every golden page; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing, exit 1 on any difference")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="golden directory (default: tests/golden)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    pages = golden_pages(args.root)
    stale = 0
    for html_path in pages:
        golden = render(html_path)
        fresh = _sync(golden.json_path, golden.json_text, args.check)
        fresh = _sync(golden.corpus_path, golden.corpus_text, args.check) and fresh
        stale += not fresh
    verb = "differ" if args.check else "updated"
    logger.info("%d golden pages, %d %s", len(pages), stale, verb)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
