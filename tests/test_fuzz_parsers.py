"""Property-based fuzz of the parsers: random mutations of the golden pages (cut, repeated, deleted and inserted
markup, hostile text, stray bytes) never raise anything but `ExtractionError`, and whatever is extracted can be
staged (JSON as UTF-8). One golden page per source; derandomized, so a run is repeatable and takes seconds."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.extract import ExtractionError
from etl.sources import extract_article

GOLDEN = Path(__file__).resolve().parent / "golden"
PAGES = sorted(next(iter(sorted(folder.glob("*.html.gz")))) for folder in GOLDEN.iterdir() if folder.is_dir())
FETCHED = datetime(2026, 1, 2, tzinfo=UTC)

#: Fragments a broken or hostile page may hold where markup or text was.
FRAGMENTS = st.sampled_from([
    "<", ">", "</div>", "<div>", "<p>", "</p>", "<h1>", "</h1>", "<script>", "</script>", "<!--", "-->",
    "<![CDATA[", "&", "&#0;", "&#xD800;", "&#x110000;", "&#99999999999;", "\x00", "\ufeff", "\u202e",
    '<script type="application/ld+json">{"@type":"NewsArticle","headline":"\\ud800","datePublished":'
    '"9999-12-31T23:59:59-12:00","author":[{"@type":"Person","name":{"x":1}}],"keywords":7}</script>',
    '<script type="application/ld+json">[[[[{"@graph":{"@graph":[]}}]]]]</script>',
    '<meta property="article:published_time" content="0001-01-01T00:00:00+14:00">',
    '<time datetime="+99999-01-01">12:50, 31 Ақпан 2026 | GMT +99</time>',
    '<meta charset="x-no-such-charset">', '<html lang="-_-">', '<link rel="canonical" href="http://[::1">',
    '<meta property="og:url" content="javascript:alert(1)">', "Сегодня, 25:61", "31 желтоқсан 0000, 14:20",
])
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)


@st.composite
def mutated(draw: st.DrawFn, html: str) -> str | bytes:
    """`html` with one to six random edits; sometimes handed over as (possibly broken) bytes."""
    for _ in range(draw(st.integers(1, 6))):
        size = len(html)
        start = draw(st.integers(0, size))
        end = draw(st.integers(start, min(size, start + 4000)))
        kind = draw(st.sampled_from(["delete", "insert", "repeat", "cut", "replace"]))
        if kind == "delete":
            html = html[:start] + html[end:]
        elif kind == "insert":
            html = html[:start] + draw(st.one_of(FRAGMENTS, TEXT)) + html[start:]
        elif kind == "repeat":
            html = html[:end] + html[start:end] * draw(st.integers(1, 5)) + html[end:]
        elif kind == "cut":
            html = html[:start]
        else:
            html = html[:start] + draw(FRAGMENTS) + html[end:]
    if draw(st.booleans()):
        raw = html.encode("utf-8", errors="surrogatepass")
        flip = draw(st.integers(0, max(0, len(raw) - 1)))
        return raw[:flip] + bytes([draw(st.integers(0, 255))]) + raw[flip + 1:]
    return html


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.parent.name)
def test_mutated_golden_pages_raise_only_extraction_error(page: Path) -> None:
    meta = json.loads(page.with_name(page.name.replace(".html.gz", ".meta.json")).read_text(encoding="utf-8"))
    html = gzip.decompress(page.read_bytes()).decode("utf-8")

    @settings(max_examples=25, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated(html))
    def check(candidate: str | bytes) -> None:
        try:
            article = extract_article(meta["source"], meta["url"], candidate, fetched_at=FETCHED)
        except ExtractionError:
            return
        json.dumps(article.to_json(), ensure_ascii=False).encode("utf-8")  # what staging does

    check()
