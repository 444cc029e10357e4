"""Clean UTF-8 pages are parsed from their bytes, never decoded, and read exactly as their decoded text is: the same
tree, the same truncation, challenge and selector-skip facts; anything else (invalid UTF-8, characters XML cannot
hold, a BOM, an XML declaration, another charset) keeps the text path."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.extract import ExtractionError, base
from etl.extract.base import Page, ends_complete, is_challenge, utf8_tree
from etl.extract.selectors import css, holds, plain
from etl.sources import KAZINFORM, extract_article

GOLDEN = Path(__file__).resolve().parent / "golden"
URL = "https://kaz.inform.kz/news/astanada-zhana-sayabak-ashyldy-a1b2c3/"
PAGE = gzip.decompress((GOLDEN / "kazinform" / "025342.html.gz").read_bytes())

#: Byte fragments that push a page off the bytes path, or test that it reads them as the text path does.
FRAGMENTS = [
    b"\x00", b"\x01", b"\x0b", b"\x1f", b"\x7f", b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82",
    b"\xf0\x9f\x98", b"\xf4\x90\x80\x80", b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"\xef\xbf\xbd", b"\xef\xbb\xbf",
    b"\xef\x80\x80", b"\xc2\x85", b"\xe2\x80\xa8", "ә".encode(), b"&#95;", b"&#1;", b"&amp;", b"\r\n", b"\r", b"</x>",
    b"</html>", b"</HTML >", b"</html\xc2\xa0>", b"challenge", b'<div id="cf-wrapper"></div>',
    b'<div id="cf&#45;wrapper"></div>', b"<script>var _cf_chl_opt={}</script>",
    b'<script src="/cdn-cgi/challenge-platform/x"></script>', b'<meta charset="windows-1251">', b"<",
]
PREFIXES = [b"", b"", b"\xef\xbb\xbf", b"<?xml version='1.0' encoding='utf-8'?>", b"\xff\xfe", b"  "]
CONTENT_TYPES = [None, None, "text/html; charset=utf-8", "text/html; charset=windows-1251", "text/html"]


def _facts(page: Page) -> tuple[object, ...]:
    """What a loaded page is read as: its tree, meta, JSON-LD, truncation, challenge and whether selectors may be
    skipped."""
    return (lxml.etree.tostring(page.tree), page.meta, page.jsonld, page.truncated, page.challenge,
            page.plain_html is None)


def _via_text(raw: bytes, content_type: str | None = None) -> Page:
    """The page read as decoded text (the reference: what every page went through before the bytes path)."""
    return Page.load(KAZINFORM, URL, base._page_text(raw, content_type))


def _outcome(load: Callable[[], Page]) -> tuple[object, ...] | str:
    """The facts of the loaded page, or the error's message."""
    try:
        return _facts(load())
    except ExtractionError as exc:
        return str(exc)


def test_clean_utf8_pages_are_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = extract_article("kazinform", URL, PAGE)
    decoded: list[bytes] = []
    real = base.decode_page

    def counting(raw: bytes, content_type: str | None = None) -> tuple[str, str]:
        decoded.append(raw)
        return real(raw, content_type)

    monkeypatch.setattr(base, "decode_page", counting)
    assert extract_article("kazinform", URL, PAGE) == expected
    assert extract_article("kazinform", URL, PAGE.replace(b'charset="utf-8"', b"")) == expected  # none stated
    assert decoded == []
    cp1251 = PAGE.decode("utf-8").encode("cp1251", "xmlcharrefreplace")
    extract_article("kazinform", URL, cp1251, content_type="text/html; charset=windows-1251")
    assert decoded == [cp1251]


@pytest.mark.parametrize("raw", [
    b"<html><body><p>a\xffb</p></body></html>",  # invalid UTF-8
    b"<html><body><p>a\x01b</p></body></html>",  # a control XML cannot hold
    b"<html><body><p>a\xef\xbf\xbeb</p></body></html>",  # a non-character
    b"\xef\xbb\xbf<html><body><p>a</p></body></html>",  # a BOM
    b"<?xml version='1.0' encoding='utf-8'?><html><body><p>a</p></body></html>",  # lxml refuses its text
    b"<html><head><meta charset='windows-1251'></head><body><p>a</p></body></html>",  # another charset
])
def test_pages_the_bytes_path_cannot_read_as_their_text_keep_the_text_path(raw: bytes) -> None:
    assert utf8_tree(raw) is None
    assert utf8_tree(b"<html><body><p>a \xd3\x99</p></body></html>") is not None


def test_an_invalid_byte_past_libxml2s_hundred_reported_errors_still_keeps_the_text_path() -> None:
    raw = b"<html><body>" + b"</x>" * 150 + b"<p>a\xe2\x82b</p></body></html>"  # libxml2: 2 U+FFFD, Python: 1
    assert utf8_tree(raw) is None
    assert _facts(Page.load(KAZINFORM, URL, raw)) == _facts(_via_text(raw))


@settings(max_examples=400, derandomize=True, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(PAGE)), st.sampled_from(FRAGMENTS)), max_size=3),
    st.sampled_from(PREFIXES), st.one_of(st.none(), st.integers(1, len(PAGE))), st.sampled_from(CONTENT_TYPES),
)
def test_bytes_are_read_as_their_text(
    inserts: list[tuple[int, bytes]], prefix: bytes, cut: int | None, content_type: str | None,
) -> None:
    raw = PAGE[:cut]
    for at, fragment in sorted(inserts, reverse=True):
        raw = raw[:at] + fragment + raw[at:]
    raw = prefix + raw
    assert (_outcome(lambda: Page.load(KAZINFORM, URL, raw, content_type=content_type))
            == _outcome(lambda: _via_text(raw, content_type)))


def test_every_golden_page_reads_the_same_from_bytes_and_text() -> None:
    for path in sorted(GOLDEN.glob("*/*.html.gz")):
        raw = gzip.decompress(path.read_bytes())
        assert utf8_tree(raw) is not None, path.name
        assert _facts(Page.load(KAZINFORM, URL, raw)) == _facts(_via_text(raw)), path.name


@pytest.mark.parametrize(("after", "complete"), [(0, True), (4000, True), (4089, True), (4090, False), (9000, False)])
def test_the_end_tag_is_looked_for_in_the_last_characters_not_bytes(after: int, complete: bool) -> None:
    text = "<html><body><p>" + "ә" * 5000 + "</p></body></html>" + "ә" * after  # two bytes a character
    assert ends_complete(text) is complete
    assert ends_complete(text.encode("utf-8")) is complete
    for end in ("</HTML >", "</html\u00a0>", "</html\t>"):
        spelled = text.replace("</html>", end)
        assert ends_complete(spelled.encode("utf-8")) is ends_complete(spelled)


@pytest.mark.parametrize("marker", [
    '<div id="challenge-form"></div>', '<p id="x"></p><div id="cf-wrapper"></div><div id="cf-wrapper"></div>',
    '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsd/v1"></script>',
    "<script>window._cf_chl_opt={cvId: '3'};</script>",
])
def test_challenge_markers_found_in_bytes(marker: str) -> None:
    html = f"<html><head><title>kaz.inform.kz</title></head><body><h1>x</h1>{marker}</body></html>"
    tree = lxml.html.document_fromstring(html.encode("utf-8"), parser=base.html_parser("utf-8"))
    assert is_challenge(tree, html.encode("utf-8")) and is_challenge(tree, html)


def test_challenge_ids_spelled_with_references_stay_no_challenge_as_before() -> None:
    html = ("<html><head><title>T</title></head><body><h1>T</h1><div id='cf&#45;wrapper'></div>"
            "<div class='article__content'><p>Body.</p></div></body></html>")
    tree = lxml.html.document_fromstring(html)
    assert base.CHALLENGE_XPATH(tree)  # the XPath matches, but the page never wrote the marker
    assert not is_challenge(tree, html) and not is_challenge(tree, html.encode("utf-8"))
    assert extract_article("kazinform", URL, html.encode("utf-8")).paragraphs == ("Body.",)


def test_plain_bytes_hops_over_ampersands_then_searches() -> None:
    assert plain(b"<p>a &amp; b</p>") == b"<p>a &amp; b</p>"
    assert plain(b"<p>a &#95; b</p>") is None
    many = b"&amp;" * 40
    assert plain(many) == many and plain(many + b"&#x61;") is None and plain(b"&#1;" + many) is None
    assert plain("a &#95; b") is None and plain("a &amp; b") == "a &amp; b"


@settings(max_examples=2000, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from([b"&", b"#", b"&#", b"_", b"_cf_chl_op", b"_cf_chl_opt", b"x"]), max_size=60).map(b"".join),
       st.sampled_from([b"&#", b"_cf_chl_opt"]))
def test_holds_is_a_substring_search(data: bytes, needle: bytes) -> None:
    assert holds(data, needle) is (needle in data)


def test_selectors_know_whether_they_test_every_element() -> None:
    assert not css("div.article__content").any_element  # type: ignore[attr-defined]
    assert not css("h1, div[itemprop=articleBody]").any_element  # type: ignore[attr-defined]
    assert css(".article__description").any_element  # type: ignore[attr-defined]
    assert css("div .x").any_element and css("div > .x").any_element  # type: ignore[attr-defined]
    assert css("div, [id*=adfox]").any_element  # type: ignore[attr-defined]


def test_long_pages_skip_absent_selectors_that_test_every_element() -> None:
    filler = "<p>" + "ә" * 20000 + "</p>"
    html = f"<html><body><h1>T</h1>{filler}<div class='article__content'><p>x</p></div></body></html>"
    page = Page.load(KAZINFORM, URL, html.encode("utf-8"))
    assert isinstance(page.plain_html, bytes) and len(page.plain_html) > base._SCAN_FIRST
    assert page.select(css(".article__description")) == []
    assert [element.get("class") for element in page.select(css("div.article__content"))] == ["article__content"]
