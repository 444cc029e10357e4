"""The parsers' fast paths mean exactly what the slow ones did: selectors as Python tests vs their XPath, the body
read in place, the challenge check's cheap first steps, byte-level checks of UTF-8 pages, clean_text's clean check;
and the parser benchmark reports one target per source."""

from __future__ import annotations

import gzip
import importlib
import pkgutil
import unicodedata
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml.cssselect import CSSSelector

import etl.extract
from etl.extract import ExtractionError
from etl.extract.base import SiteParser, block_paragraphs, html_parser, is_challenge
from etl.extract.selectors import css, matches, on_axis, select_inside
from etl.sources import extract_article
from etl.transform import clean

GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDEN_PAGES = sorted(GOLDEN.glob("*/*.html.gz"))
URL = "https://kaz.inform.kz/news/astanada-zhana-sayabak-ashyldy-a1b2c3/"

#: Markup the Python tests must read as the XPath does: XML and other white space in classes, empty and
#: upper-case attributes, comments and processing instructions, nesting.
TRICKY = """<html><head><title>t</title></head><body>
<div class="a\tb\nshare-bar" id="adfox_1"><!-- c --><?pi x?><p class="">x</p></div>
<div class="a\u00a0b" ID="Main"><figure><p>in figure</p></figure><span class="related-x social">y</span></div>
<section data-x="" itemprop="articleBody" lang="kk-KZ"><blockquote><p>q</p></blockquote><br></section>
<div class="tags\rlist  article__tags"><a class="links__item-link">t</a></div>
<p class="article__description x">lead</p><img src="/i.jpg"><iframe></iframe>
</body></html>"""

COVERED = [
    "figure, figcaption, img, picture, video, iframe, script, style, noscript",
    ".adfox, [id*=adfox], [class*=share], [class*=social], [class*=related], .article__description",
    "div.article__tags", "#Main, #main", "[itemprop=articleBody]", "[data-x], [lang=kk-KZ]", "[class~=b]",
    '[class^="a"], [class$=bar], [class*=""], [class~=""], [class~="a b"]', "*", "div, *", "p.x.article__description",
]


def _selectors() -> list[CSSSelector]:
    """Every compiled selector the parser modules define (class constants, tuples of them, module constants)."""
    found: dict[int, CSSSelector] = {}
    for info in pkgutil.iter_modules(etl.extract.__path__):
        module = importlib.import_module(f"etl.extract.{info.name}")
        holders = [module, *(value for value in vars(module).values() if isinstance(value, type))]
        for holder in holders:
            for value in vars(holder).values():
                for item in value if isinstance(value, tuple) else (value,):
                    if isinstance(item, CSSSelector):
                        found[id(item)] = item
    return list(found.values())


def _trees() -> list[lxml.html.HtmlElement]:
    """The tricky page and every golden page, parsed as extraction parses them."""
    pages = [TRICKY, *(gzip.decompress(path.read_bytes()).decode("utf-8") for path in GOLDEN_PAGES)]
    return [lxml.html.document_fromstring(page, parser=html_parser()) for page in pages]


def test_parser_selectors_have_python_tests_where_it_pays() -> None:
    from etl.extract.kazinform import KazinformParser
    from etl.extract.tengrinews import TengrinewsParser

    assert getattr(KazinformParser.DROP, "test", None) is not None
    assert getattr(TengrinewsParser.DROP, "test", None) is not None
    assert getattr(SiteParser.DROP, "test", None) is not None
    assert getattr(SiteParser.DROP, "tags", None) == ("figure", "figcaption", "img", "picture", "video", "iframe",
                                                      "script", "style", "noscript")
    assert getattr(KazinformParser.DROP, "tags", "none") is None  # classes too: the Python test
    for expression in ("#article-content .wsw", "[lang|=kk]", "p:first-child", '[type="a" i]'):
        assert getattr(css(expression), "test", "none") is None  # not covered: the XPath


@pytest.mark.parametrize("expression", COVERED)
def test_python_test_finds_what_the_xpath_finds(expression: str) -> None:
    selector = css(expression)
    assert getattr(selector, "test", None) is not None
    tree = lxml.html.document_fromstring(TRICKY, parser=html_parser())
    assert select_inside(selector, tree) == selector(tree)
    exact, elements = on_axis(selector, "self::"), list(tree.iter("*"))
    assert [matches(selector, element) for element in elements] == [bool(exact(element)) for element in elements]


def test_every_parser_selector_finds_what_its_xpath_finds_on_every_golden_page() -> None:
    selectors = _selectors()
    assert len(selectors) > 20
    for tree in _trees():
        for selector in selectors:
            assert select_inside(selector, tree) == selector(tree), selector.css
            for element in selector(tree)[:3]:
                assert matches(selector, element), selector.css


def test_body_is_read_in_place_and_the_page_left_as_it_was() -> None:
    html = gzip.decompress((GOLDEN / "kazinform" / "025342.html.gz").read_bytes())
    tree = lxml.html.document_fromstring(html.decode("utf-8"), parser=html_parser())
    before = lxml.etree.tostring(tree)
    container = css("div.article__content")(tree)[0]
    texts = block_paragraphs(container, css("figure, script, .adfox, [id*=adfox]"), css("div.article__tags"))
    assert texts[0].startswith("ОРАЛ. KAZINFORM")
    assert "Жарнама" not in texts and not any("Спорт" in text for text in texts)
    assert lxml.etree.tostring(tree) == before


def test_block_paragraphs_drops_inside_paragraphs_and_reads_br_as_space() -> None:
    tree = lxml.html.document_fromstring(
        "<div><p>a<br>b<!-- c -->d<script>s</script>e<span>f<img>g</span></p>p's tail<blockquote>"
        "<figure><p>x</p></figure>quote</blockquote><p>after</p><div class=end></div><p>gone</p></div>",
        parser=html_parser(),
    )
    body = tree.body[0]
    assert block_paragraphs(body, css("script, figure, img"), css(".end")) == ("a bdefg", "quote", "after")


def test_deeply_nested_paragraph_text_is_read_without_recursion() -> None:
    depth = 2000
    html = f"<div><p>{'<span>x' * depth}{'</span>' * depth}<script>s</script>end</p></div>"
    tree = lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
    texts = block_paragraphs(tree.body[0], css("script"))
    assert texts == ("x" * depth + "end",)


def test_challenge_markers_found_when_the_title_is_ordinary() -> None:
    for marker in ('<div id="challenge-form"></div>', '<div id="cf-wrapper"></div>',
                   '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/jsd/v1"></script>'):
        html = f"<html><head><title>kaz.inform.kz</title></head><body><h1>x</h1>{marker}</body></html>"
        assert is_challenge(lxml.html.document_fromstring(html), html)
        with pytest.raises(ExtractionError, match="challenge"):
            extract_article("kazinform", URL, html)


def test_the_word_challenge_alone_is_no_challenge() -> None:
    html = ("<html><head><title>A new challenge</title></head><body><h1>A new challenge</h1>"
            "<div class='article__content'><p>The challenge is on.</p></div></body></html>")
    assert not is_challenge(lxml.html.document_fromstring(html), html)
    assert extract_article("kazinform", URL, html).paragraphs == ("The challenge is on.",)


@pytest.mark.parametrize("bad", ["http://[::1", "https://[v1.x/a"])
def test_unreadable_meta_urls_are_ignored_not_raised(bad: str) -> None:
    html = (f'<html><head><link rel="canonical" href="{bad}"><meta property="og:image" content="{bad}">'
            f'<meta property="og:url" content="{bad}"></head><body><h1>Title</h1>'
            "<div class='article__content'><p>Body.</p></div></body></html>")
    article = extract_article("kazinform", URL, html)
    assert article.canonical_url == URL and article.image_url is None
    assert article.methods["canonical_url"] == "selectors"


def test_utf8_bytes_with_controls_read_as_the_same_text() -> None:
    html = ("<html><head><title>T</title></head><body><h1>Title\x00</h1><div class='article__content'>"
            "<p>Body\x01 text\ufffe here \ufffd.</p></div></body></html>")
    from_text = extract_article("kazinform", URL, html)
    from_bytes = extract_article("kazinform", URL, html.encode("utf-8"))
    assert from_bytes == from_text
    assert from_text.paragraphs == ("Body text here \ufffd.",)


def _slow_clean(text: str) -> str:
    """clean_text without its clean check: the reference."""
    text = unicodedata.normalize("NFC", text.translate(clean._TRANSLATE))
    return clean._WHITESPACE_RUN.sub(" ", text).strip()


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from([" ", "  ", "a", "ә", "e\u0301", "\u00a0", "\u200b", "\n", "\t", "\x00", "\u2028",
                                 "\u3000", "\ufeff", "\x85", "\u1680", "]", "\\", "-", "^"]), max_size=12).map("".join))
def test_clean_text_check_changes_nothing(text: str) -> None:
    assert clean.clean_text(text) == _slow_clean(text)


def test_bench_parse_reports_one_target_per_golden_source() -> None:
    from benchmarks import bench_parse

    targets = bench_parse.run(rounds=1, repeat=1)
    sources = sorted({path.parent.name for path in GOLDEN_PAGES})
    assert [target.name for target in targets] == [f"parser_{source}_vs_lxml" for source in sources]
    assert all(target.goal == 0.5 and target.measured > 0 for target in targets)
    assert all(target.line().startswith(f"target {target.name} measured ") for target in targets)


def test_selectors_skipped_only_when_the_text_cannot_hold_a_match() -> None:
    from etl.extract.base import Page
    from etl.sources import KAZINFORM

    lead = css(".article__description")
    assert lead.literals == ("article__description",)  # type: ignore[attr-defined]
    for written in ("article__description", "article&#95;_description", "&#x61;rticle__description"):
        html = (f"<html><head><title>T</title></head><body><h1>T</h1><div class='{written}'><p>Lead.</p></div>"
                "<div class='article__content'><p>Body.</p></div></body></html>")
        page = Page.load(KAZINFORM, URL, html)
        assert [element.get("class") for element in page.select(lead)] == ["article__description"], written
        assert extract_article("kazinform", URL, html).paragraphs == ("Lead.", "Body.")
    page = Page.load(KAZINFORM, URL, "<html><body><h1>T</h1><div class='other'><p>x</p></div></body></html>")
    assert page.plain_html is not None and page.select(lead) == []
