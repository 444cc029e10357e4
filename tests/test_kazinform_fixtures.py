"""Invariants of the Kazinform fixture set: counts, links that resolve on the replay site, truth vs HTML,
and a deterministic generator."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import lxml.html
import pytest

from etl.dev.replay import DEFAULT_ROOT, ReplayServer
from etl.sources import KAZINFORM

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "kazinform"
MANIFEST: dict[str, Any] = json.loads(
    (REPO / "fixtures" / "kazinform" / "days.json").read_text(encoding="utf-8")
)
SPECIAL: dict[str, list[str]] = MANIFEST["special"]
HOST = "kaz.inform.kz"
SITE = f"https://{HOST}"
MONTHS = {"Қаңтар": 1, "Желтоқсан": 12}
VISIBLE_TIME = re.compile(r"^(\d{1,2}):(\d{2}),\s*(\d{1,2})\s+(\S+)\s+(\d{4})\s*\|\s*GMT\s*([+-]\d+)")
GENERATED = (
    "fixtures/replay/kaz.inform.kz",
    "fixtures/variants/kaz.inform.kz",
    "fixtures/kazinform/variants",
    "tests/golden/kazinform",
    "fixtures/kazinform/days.json",
)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(server: ReplayServer, url: str) -> tuple[int, dict[str, str], str]:
    """GET a kaz.inform.kz URL (absolute or path) from the replay server, not following redirects."""
    path = url.removeprefix(SITE)
    request = urllib.request.Request(server.base_url + path, headers={"Host": HOST})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode("utf-8")


def clean(text: str) -> str:
    """The cleaning the truth files assume."""
    text = re.sub("[\u200b\u00ad]", "", text.replace("\u00a0", " "))
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def extract(html: str, markup: str) -> tuple[str, list[str]]:
    """Title and body paragraphs by the documented selectors (fixtures/kazinform/README.md)."""
    doc = lxml.html.fromstring(html)
    if markup == "2025":
        title = doc.xpath('//h1[@class="article__title"]')[0].text_content()
        nodes = doc.xpath('//div[@class="article__description"]/p')
        nodes += doc.xpath('//div[@class="article__body-text"]/*[self::p or self::blockquote]')
    else:
        title = doc.xpath("//h1")[0].text_content()
        nodes = []
        for child in doc.xpath('//div[@class="article__content"]')[0]:
            if child.get("class") == "article__tags":
                break
            if child.tag in ("p", "blockquote"):
                nodes.append(child)
    paragraphs = [clean(node.text_content()) for node in nodes]
    return clean(title), [p for p in paragraphs if p]


def published(html: str) -> datetime:
    """Publication time from the meta tag, else from the visible `div.article__time`."""
    doc = lxml.html.fromstring(html)
    meta = doc.xpath('//meta[@name="article:published_time"]/@content')
    if meta:
        return datetime.fromisoformat(meta[0]).astimezone(UTC)
    visible = doc.xpath('//div[@class="article__time"]')[0].text_content().strip()
    hour, minute, day, month, year, offset = VISIBLE_TIME.match(visible).groups()  # type: ignore[union-attr]
    zone = timezone(timedelta(hours=int(offset)))
    return datetime(int(year), MONTHS[month], int(day), int(hour), int(minute), tzinfo=zone).astimezone(UTC)


def golden_ids() -> list[str]:
    return sorted(path.name.removesuffix(".meta.json") for path in GOLDEN.glob("*.meta.json"))


def all_articles() -> list[str]:
    return [url for day in MANIFEST["days"].values() for url in day["articles"]]


@pytest.fixture
def site() -> Iterator[ReplayServer]:
    with ReplayServer(DEFAULT_ROOT) as server:
        yield server


def test_counts_and_urls() -> None:
    assert list(MANIFEST["days"]) == ["2025-12-31", "2026-01-01", "2026-01-02"]
    for day in MANIFEST["days"].values():
        assert len(day["articles"]) >= 22 and day["articles"] == sorted(day["articles"])
    urls = all_articles()
    assert len(urls) >= 66
    ids = [KAZINFORM.article_id(url) for url in urls]
    assert None not in ids and len(set(ids)) == len(ids)
    assert sum(len(i) == 8 for i in ids if i) >= 2
    assert sorted(ids) == golden_ids()  # type: ignore[type-var]
    for kind in ("blocked", "not_found", "server_error", "non_article"):
        assert not set(SPECIAL[kind]) & set(urls), kind
    assert not any(KAZINFORM.is_article_url(url) for url in SPECIAL["non_article"])


@pytest.mark.parametrize("article_id", golden_ids())
def test_truth_matches_page(article_id: str) -> None:
    meta = json.loads((GOLDEN / f"{article_id}.meta.json").read_text(encoding="utf-8"))
    truth = json.loads((GOLDEN / f"{article_id}.truth.json").read_text(encoding="utf-8"))
    html = gzip.decompress((GOLDEN / f"{article_id}.html.gz").read_bytes()).decode("utf-8")
    served = DEFAULT_ROOT / HOST / meta["url"].removeprefix(SITE + "/") / "index.html"
    assert served.read_text(encoding="utf-8") == html
    assert KAZINFORM.article_id(meta["url"]) == truth["article_id"] == article_id
    assert meta["source"] == "kazinform" and meta["url"] == truth["canonical_url"]
    local = datetime.fromisoformat(truth["published_at"]).astimezone(timezone(timedelta(hours=5)))
    expected_markup = "2025" if local < datetime(2026, 1, 1, 12, tzinfo=local.tzinfo) else "2026"
    assert meta["markup"] == expected_markup and meta["crawl_date"] == local.date().isoformat()
    title, paragraphs = extract(html, meta["markup"])
    assert (title, paragraphs) == (truth["title"], truth["paragraphs"])
    assert all(p == clean(p) for p in paragraphs) and 3 <= len(paragraphs) <= 8
    assert published(html).isoformat() == truth["published_at"]
    doc = lxml.html.fromstring(html)
    assert doc.get("lang") == truth["language"] == "kk"
    assert doc.xpath('//meta[@property="og:title"]/@content') == [truth["title"] + " | Kazinform"]
    assert doc.xpath('//link[@rel="canonical"]/@href') == [truth["canonical_url"]]
    assert doc.xpath('//meta[@property="og:image"]/@content') == [truth["image_url"]]
    assert (doc.xpath('//meta[@name="author"]/@content') or [None])[0] == truth["author"]
    assert [clean(a.text_content()) for a in doc.xpath('//div[@class="article__tags"]/a')] == truth["tags"]
    place = truth["dateline_place"]
    if place:
        assert paragraphs[0].startswith(f"{place}. KAZINFORM – ")
    else:
        assert "KAZINFORM" not in paragraphs[0]


def test_special_page_features() -> None:
    def page(url: str) -> str:
        return gzip.decompress((GOLDEN / f"{KAZINFORM.article_id(url)}.html.gz").read_bytes()).decode("utf-8")

    assert 2 <= len(SPECIAL["no_published_meta"]) <= 3
    for url in SPECIAL["no_published_meta"]:
        assert "article:published_time" not in page(url) and "datetime=" not in page(url)
    for url in SPECIAL["jsonld"]:
        data = json.loads(
            lxml.html.fromstring(page(url)).xpath('//script[@type="application/ld+json"]')[0].text
        )
        assert data["@type"] == "NewsArticle" and "articleBody" not in data and data["author"]["name"]
    assert 1 <= len(SPECIAL["no_dateline"]) <= 2 and SPECIAL["no_author"]
    for url in SPECIAL["nfd"]:
        assert unicodedata.normalize("NFC", page(url)) != page(url)
    everything = "".join(page(url) for url in all_articles())
    for dirt in (
        "\u00a0",
        "&nbsp;",
        "\u200b",
        "\u00ad",
        "&shy;",
        "  ",
        "<p></p>",
        "<p>&nbsp;</p>",
        "&laquo;",
    ):
        assert dirt in everything, repr(dirt)
    for kept in "«»–—әғқңөұүһі":
        assert kept in everything, kept


def test_republished_and_updated() -> None:
    def truth(url: str) -> dict[str, Any]:
        return json.loads((GOLDEN / f"{KAZINFORM.article_id(url)}.truth.json").read_text(encoding="utf-8"))

    [(original, republished)] = MANIFEST["republished_pairs"]
    first, second = truth(original), truth(republished)
    assert (first["title"], first["paragraphs"]) == (second["title"], second["paragraphs"])
    assert (
        first["canonical_url"] != second["canonical_url"]
        and first["published_at"][:10] != second["published_at"][:10]
    )
    [updated] = SPECIAL["updated"]
    variant = REPO / MANIFEST["variants"][updated]
    old = variant.read_text(encoding="utf-8")
    new = (DEFAULT_ROOT / HOST / updated.removeprefix(SITE + "/") / "index.html").read_text(encoding="utf-8")
    assert "article:modified_time" in new and "article:modified_time" not in old
    v1 = json.loads(
        (REPO / "fixtures/kazinform/variants" / f"{KAZINFORM.article_id(updated)}.v1.truth.json").read_text()
    )
    assert extract(old, "2026")[1] == v1["paragraphs"] != truth(updated)["paragraphs"]
    assert truth(updated)["modified_at"] and v1["modified_at"] is None


def lenta_cards(html: str) -> tuple[list[str], int]:
    doc = lxml.html.fromstring(html)
    hrefs = doc.xpath('//div[@class="allNews__list"]//div[@class="allNewsCard"]//a/@href')
    active = doc.xpath('//ul[@class="pagination"]/li[contains(@class, "active")]/a')[0].text_content()
    assert len(doc.xpath('//div[@class="allNewsCard_title"]')) == len(
        doc.xpath('//div[@class="allNewsCard_time"]')
    )
    return [urljoin(SITE + "/lenta/", href) for href in hrefs], int(active)


def walk_lenta(site: ReplayServer, query: str) -> list[str]:
    """All card links of a lenta listing; checks page sizes and the past-the-end page."""
    pages: list[list[str]] = []
    while True:
        status, _, html = fetch(site, f"/lenta/?page={len(pages) + 1}{query}")
        assert status == 200
        cards, active = lenta_cards(html)
        if active != len(pages) + 1:
            assert active == len(pages) and cards == pages[-1]
            break
        pages.append(cards)
    assert all(len(cards) == 24 for cards in pages[:-1]) and 1 <= len(pages[-1]) <= 24
    return [link for cards in pages for link in cards]


def check_link(site: ReplayServer, url: str) -> str | None:
    """Fetch a listed link; return the canonical article URL it yields, or None for deliberate failures."""
    status, headers, body = fetch(site, url)
    if url in SPECIAL["blocked"]:
        assert status == 403 and "Just a moment..." in body
        return None
    if url in SPECIAL["not_found"] or url in SPECIAL["server_error"]:
        assert status == (404 if url in SPECIAL["not_found"] else 500)
        return None
    if url in SPECIAL["non_article"]:
        assert status == 200 and not KAZINFORM.is_article_url(url)
        return None
    if url in SPECIAL["redirect_from"]:
        assert status == 301
        url = headers["Location"]
        status, headers, body = fetch(site, url)
    if url in SPECIAL["retry_once"] and status == 503:
        assert headers["Retry-After"] == "1"
        status, headers, body = fetch(site, url)
    assert status == 200, url
    canonical = lxml.html.fromstring(body).xpath('//link[@rel="canonical"]/@href')[0]
    assert canonical == url
    return canonical


def test_day_lentas_resolve_to_the_expected_articles(site: ReplayServer) -> None:
    for day, expected in MANIFEST["days"].items():
        links = walk_lenta(site, f"&start_date={day}&end_date={day}")
        assert len(links) == expected["listed"] and len(set(links)) == len(links)
        loaded = {check_link(site, link) for link in links} - {None}
        assert sorted(loaded) == expected["articles"], day  # type: ignore[type-var]


def test_range_and_unfiltered_lenta(site: ReplayServer) -> None:
    total = sum(day["listed"] for day in MANIFEST["days"].values())
    ranged = walk_lenta(site, "&start_date=2025-12-31&end_date=2026-01-02")
    unfiltered = walk_lenta(site, "")
    assert len(ranged) == total and ranged == unfiltered
    assert fetch(site, "/lenta/")[2] == fetch(site, "/lenta/?page=1")[2]


def test_rss_robots_and_redirect(site: ReplayServer) -> None:
    status, headers, body = fetch(site, "/rss/kz.xml")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    doc = lxml.etree.fromstring(body.encode())
    links = doc.xpath("//item/link/text()")
    dates = doc.xpath("//item/pubDate/text()")
    assert len(links) == 30 and all(d.endswith(" +0500") for d in dates)
    for link in links:
        canonical = check_link(site, link)
        assert canonical is None or canonical in all_articles()
    status, headers, robots = fetch(site, "/robots.txt")
    assert status == 200 and "Disallow: /search/" in robots and "Sitemap: https://kaz.inform.kz/" in robots
    for prefix in ("/news/", "/lenta/", "/rss/"):
        assert f"Allow: {prefix}" in robots
    [source] = SPECIAL["redirect_from"]
    assert fetch(site, source)[1]["Location"] == source + "/"


def generated(path: Path) -> bool:
    """Files the generator writes (the golden directory also holds the parser's own .json/.corpus.txt)."""
    return path.parent != GOLDEN or path.name.endswith((".html.gz", ".meta.json", ".truth.json"))


def test_generator_is_deterministic(tmp_path: Path) -> None:
    script = REPO / "fixtures" / "kazinform" / "generate.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    for relative in GENERATED:
        ours, theirs = REPO / relative, tmp_path / relative
        if ours.is_file():
            assert ours.read_bytes() == theirs.read_bytes(), relative
            continue
        ours_files = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file() and generated(p))
        assert ours_files == sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file()), relative
        for name in ours_files:
            assert (ours / name).read_bytes() == (theirs / name).read_bytes(), f"{relative}/{name}"
