"""Kazinform spider discovery from bytes: RSS, dated listing pages, interval filtering, known ids, outcomes."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, XmlResponse

from etl.core.dates import month_number
from etl.sources import KAZINFORM, DatedListing
from scrapers.spiders.base import interval_dates, parse_instant, read_known_ids
from scrapers.spiders.discovery import SourceSpider
from scrapers.spiders.feeds import feed_entries, parse_pub_date
from scrapers.spiders.listings import active_page, parse_listing_time
from scrapers.spiders.sources import SPIDERS
from scrapers.warc import KIND_META

ALMATY = ZoneInfo("Asia/Almaty")
DAY = date(2026, 1, 1)
LISTING = next(method for method in KAZINFORM.discovery if isinstance(method, DatedListing))

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Kazinform</title>
<atom:link href="https://kaz.inform.kz/rss/kz.xml" rel="self"/>
<item><title>In</title><link>https://kaz.inform.kz/news/bir-aaa111/</link>
  <pubDate>Thu, 01 Jan 2026 10:00:00 +0500</pubDate></item>
<item><title>Before</title><link>https://kaz.inform.kz/news/eki-bbb222/</link>
  <pubDate>Wed, 31 Dec 2025 23:59:59 +0500</pubDate></item>
<item><title>Start edge</title><link>https://kaz.inform.kz/news/ush-ccc333</link>
  <pubDate>Wed, 31 Dec 2025 19:00:00 GMT</pubDate></item>
<item><title>End edge</title><link>https://kaz.inform.kz/news/tort-ddd444/</link>
  <pubDate>Fri, 02 Jan 2026 00:00:00 +0500</pubDate></item>
<item><title>Not an article</title><link>https://kaz.inform.kz/category/sayasat_c1/</link>
  <pubDate>Thu, 01 Jan 2026 11:00:00 +0500</pubDate></item>
<item><title>Duplicate</title><link>https://kaz.inform.kz/news/bir-aaa111</link>
  <pubDate>Thu, 01 Jan 2026 10:00:00 +0500</pubDate></item>
</channel></rss>"""


def listing_page(page: int, cards: list[tuple[str, str]], active: int | None, pages: int = 3) -> bytes:
    """Build a 2026-style /lenta/ page: cards of (href, time text) and a paginator."""
    items = "".join(
        f'<div class="card"><a class="news-card" href="{href}"><h3 class="card-title">T</h3></a>'
        f'<time class="meta-date">{when}</time></div>'
        for href, when in cards
    )
    paginator = ""
    if active is not None:
        paginator = (
            '<ul class="pagination">'
            + "".join(
                f'<li class="page-item{" active" if n == active else ""}"><a class="page-link" href="?page={n}">{n}</a></li>'
                for n in range(1, pages + 1)
            )
            + "</ul>"
        )
    html = (
        f'<html><body><nav><a href="/">Басты</a><a href="/category/sayasat_c1/">Саясат</a></nav>'
        f'<div class="allNews">{items}</div>{paginator}</body></html>'
    )
    return html.encode("utf-8")


def make_spider(**kwargs: object) -> SourceSpider:
    """Build a spider for 2026-01-01 (Almaty) without a crawler."""
    args: dict[str, object] = {"start": "2026-01-01T00:00:00+05:00", "end": "2026-01-02T00:00:00+05:00"}
    args.update(kwargs)
    return SPIDERS["kazinform"](**args)


def listing_response(spider: SourceSpider, page: int, body: bytes) -> HtmlResponse:
    url = LISTING.page_url(DAY.isoformat(), page)
    return HtmlResponse(url=url, body=body, encoding="utf-8", request=Request(url))


def test_feed_entries_reads_links_and_dates() -> None:
    entries = list(feed_entries(RSS))
    assert entries[0] == ("https://kaz.inform.kz/news/bir-aaa111/", "Thu, 01 Jan 2026 10:00:00 +0500")
    assert len(entries) == 6


def test_parse_feed_filters_by_interval_and_dedupes() -> None:
    spider = make_spider()
    response = XmlResponse(
        url="https://kaz.inform.kz/rss/kz.xml", body=RSS, request=Request("https://kaz.inform.kz/rss/kz.xml")
    )
    requests = list(spider.parse_feed(response))
    assert [r.url for r in requests] == [
        "https://kaz.inform.kz/news/bir-aaa111/",
        "https://kaz.inform.kz/news/ush-ccc333/",
    ]
    assert all(r.meta[KIND_META] == "article" and not r.dont_filter for r in requests)
    counts = spider.counts()
    assert counts["discovered"] == 2
    assert counts["out_of_interval"] == 2


def test_listing_collects_article_links_and_asks_next_page() -> None:
    spider = make_spider()
    body = listing_page(
        1, [("/news/bir-aaa111/", "10:00"), ("https://kaz.inform.kz/news/eki-bbb222", "09:30")], 1
    )
    out = list(spider.parse_listing(listing_response(spider, 1, body), method=LISTING, day=DAY, page=1))
    urls = [r.url for r in out]
    assert urls[:2] == ["https://kaz.inform.kz/news/bir-aaa111/", "https://kaz.inform.kz/news/eki-bbb222/"]
    assert out[2].meta[KIND_META] == "listing"
    assert out[2].cb_kwargs == {"method": LISTING, "day": DAY, "page": 2}
    assert (
        "page=2" in out[2].url
        and "start_date=2026-01-01" in out[2].url
        and "end_date=2026-01-01" in out[2].url
    )


def test_listing_stops_when_paginator_shows_another_page() -> None:
    spider = make_spider()
    body = listing_page(3, [("/news/bir-aaa111/", "10:00")], active=2)
    assert list(spider.parse_listing(listing_response(spider, 3, body), method=LISTING, day=DAY, page=3)) == []
    assert spider.counts()["discovered"] == 0


def test_listing_stops_on_a_page_without_article_links() -> None:
    spider = make_spider()
    body = listing_page(4, [], active=4, pages=5)
    assert list(spider.parse_listing(listing_response(spider, 4, body), method=LISTING, day=DAY, page=4)) == []


def test_listing_stops_when_all_items_are_older_than_the_interval() -> None:
    spider = make_spider()
    cards = [
        ("/news/eski-abc123/", "23:00, 31 Желтоқсан 2025"),
        ("/news/eski-abc124/", "22:00, 31 Желтоқсан 2025"),
    ]
    out = list(
        spider.parse_listing(listing_response(spider, 5, listing_page(5, cards, 5, 9)), method=LISTING, day=DAY, page=5)
    )
    assert out == []
    assert spider.counts()["out_of_interval"] == 2


def test_listing_without_paginator_is_a_single_page() -> None:
    spider = make_spider()
    body = listing_page(1, [("/news/bir-aaa111/", "10:00")], active=None)
    out = list(spider.parse_listing(listing_response(spider, 1, body), method=LISTING, day=DAY, page=1))
    assert [r.meta[KIND_META] for r in out] == ["article"]


def test_listing_filters_items_outside_a_partial_interval() -> None:
    spider = make_spider(start="2026-01-01T09:00:00+05:00", end="2026-01-01T12:00:00+05:00")
    cards = [("/news/a-aaa001/", "12:30"), ("/news/b-aaa002/", "10:00"), ("/news/c-aaa003/", "08:59")]
    out = list(spider.parse_listing(listing_response(spider, 1, listing_page(1, cards, 1)), method=LISTING, day=DAY, page=1))
    assert [r.url for r in out if r.meta[KIND_META] == "article"] == ["https://kaz.inform.kz/news/b-aaa002/"]
    assert spider.counts()["out_of_interval"] == 2


def test_known_ids_are_skipped_unless_refetch(tmp_path: Path) -> None:
    known = tmp_path / "known.txt"
    known.write_text("# known\nAAA111\n\n", encoding="utf-8")
    body = listing_page(1, [("/news/bir-aaa111/", "10:00"), ("/news/eki-bbb222/", "11:00")], None)
    spider = make_spider(known_ids_file=str(known))
    out = list(spider.parse_listing(listing_response(spider, 1, body), method=LISTING, day=DAY, page=1))
    assert [r.url for r in out] == ["https://kaz.inform.kz/news/eki-bbb222/"]
    assert spider.counts()["skipped_known"] == 1
    assert spider.counts()["discovered"] == 2
    refetching = make_spider(known_ids_file=str(known), refetch="1")
    assert len(list(refetching.parse_listing(listing_response(refetching, 1, body), method=LISTING, day=DAY, page=1))) == 2


def test_rss_and_listing_share_one_request_per_article() -> None:
    spider = make_spider()
    feed = XmlResponse(
        url="https://kaz.inform.kz/rss/kz.xml", body=RSS, request=Request("https://kaz.inform.kz/rss/kz.xml")
    )
    assert len(list(spider.parse_feed(feed))) == 2
    body = listing_page(1, [("/news/bir-aaa111/", "10:00")], None)
    assert list(spider.parse_listing(listing_response(spider, 1, body), method=LISTING, day=DAY, page=1)) == []


@pytest.mark.parametrize(
    ("html", "outcome"),
    [
        ('<h1>Тақырып</h1><div class="article__content"><p>Мәтін</p></div>', "ok"),
        ('<h1 class="article__title">Тақырып</h1><div class="article__body-text"><p>Мәтін</p></div>', "ok"),
        # After a redesign (unknown body container) the page is still archived as an article.
        ("<h1>Тақырып</h1><p>Мәтін</p>", "ok"),
        ('<div class="article__content"><p>Мәтін</p></div>', "ok"),
        ('<meta property="og:type" content="article"><p>Мәтін</p>', "ok"),
        ("<p>Бет табылмады</p>", "not_article"),
        ('<div class="error-page"><a href="/">Басты бет</a></div>', "not_article"),
    ],
)
def test_article_outcome(html: str, outcome: str) -> None:
    spider = make_spider()
    url = "https://kaz.inform.kz/news/bir-aaa111/"
    record = {"url": url, "outcome": "ok"}
    request = Request(url, meta={"newsarchive_record": record})
    response = HtmlResponse(
        url=url, body=f"<html><body>{html}</body></html>".encode(), encoding="utf-8", request=request
    )
    spider.parse_article(response)
    assert record["outcome"] == outcome
    key = "fetched" if outcome == "ok" else "non_article"
    assert spider.counts()[key] == 1


def test_start_requests_cover_every_local_day() -> None:
    spider = make_spider(start="2025-12-31T12:00:00+05:00", end="2026-01-02T00:00:00+05:00")
    assert spider.local_dates() == [date(2025, 12, 31), date(2026, 1, 1)]


def test_interval_dates_end_exclusive_and_utc_input() -> None:
    start = parse_instant("2025-12-31T19:00:00Z", "start")
    end = parse_instant("2026-01-01T19:00:00+00:00", "end")
    assert interval_dates(start, end, ALMATY) == [date(2026, 1, 1)]


@pytest.mark.parametrize("bad", ["2026-01-01", "2026-01-01T00:00", "yesterday"])
def test_interval_needs_offsets(bad: str) -> None:
    with pytest.raises(ValueError, match="start"):
        make_spider(start=bad)


def test_end_must_follow_start() -> None:
    with pytest.raises(ValueError, match="not after"):
        make_spider(end="2026-01-01T00:00:00+05:00")


def test_spider_start_method_is_not_shadowed() -> None:
    assert callable(make_spider().start)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://kaz.inform.kz/news/bir-aaa111", "https://kaz.inform.kz/news/bir-aaa111/"),
        ("http://kaz.inform.kz/news/bir-aaa111/?utm_source=x#top", "https://kaz.inform.kz/news/bir-aaa111/"),
        ("https://KAZ.inform.kz/news/bir-12345678/", "https://kaz.inform.kz/news/bir-12345678/"),
        ("https://qz.inform.kz/news/bir-aaa111/", None),
        ("https://kaz.inform.kz/category/sayasat_c1/", None),
        ("https://kaz.inform.kz/news/bir-aaa111/comments/", None),
    ],
)
def test_canonical_article_url(url: str, expected: str | None) -> None:
    assert KAZINFORM.canonical_url(url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:05", datetime(2026, 1, 1, 10, 5, tzinfo=ALMATY)),
        ("2026-01-01T10:05:00+05:00", datetime(2026, 1, 1, 10, 5, tzinfo=ALMATY)),
        ("2026-01-01T05:05:00Z", datetime(2026, 1, 1, 10, 5, tzinfo=ALMATY)),
        ("10:05, 1 Қаңтар 2026", datetime(2026, 1, 1, 10, 5, tzinfo=ALMATY)),
        ("23:10, 31 желтоқсан 2025", datetime(2025, 12, 31, 23, 10, tzinfo=ALMATY)),
        ("18:00, 18 Августа 2026", datetime(2026, 8, 18, 18, 0, tzinfo=ALMATY)),
        ("01.01.2026, 10:05", datetime(2026, 1, 1, 10, 5, tzinfo=ALMATY)),
        ("Бүгін", None),
        ("", None),
    ],
)
def test_parse_listing_time(text: str, expected: datetime | None) -> None:
    assert parse_listing_time(text, DAY, ALMATY) == expected


def test_month_names() -> None:
    assert [month_number(m) for m in ("қаңтар", "Наурыз", "мамыр", "маусым", "қазан", "қараша", "Qańtar")] == [
        1, 3, 5, 6, 10, 11, 1
    ]  # fmt: skip


def test_pub_date_without_zone_is_local() -> None:
    assert parse_pub_date("Thu, 01 Jan 2026 10:00:00", ALMATY) == datetime(2026, 1, 1, 10, 0, tzinfo=ALMATY)
    assert parse_pub_date("not a date", ALMATY) is None


def test_active_page() -> None:
    spider = make_spider()
    assert active_page(listing_response(spider, 2, listing_page(2, [], 2))) == 2
    assert active_page(listing_response(spider, 2, listing_page(2, [], None))) is None


def test_read_known_ids(tmp_path: Path) -> None:
    path = tmp_path / "ids"
    path.write_text("a1b2c3\n  D4E5F6  \n# note\n\n", encoding="utf-8")
    assert read_known_ids(path) == frozenset({"a1b2c3", "d4e5f6"})


def test_card_time_is_not_borrowed_from_a_neighbour_card() -> None:
    spider = make_spider()
    body = (
        b'<html><body><div class="list"><a href="/news/a-aaa001/">A</a><time class="meta-date">10:00</time>'
        b'<a href="/news/b-aaa002/">B</a></div>'
        b'<div class="allNewsCard"><a class="allNewsCard_link" href="/news/c-aaa003/">C</a>'
        b'<div class="allNewsCard_time">07:45</div></div></body></html>'
    )
    entries = dict(spider.listing_entries(listing_response(spider, 1, body), LISTING, DAY))
    assert entries == {
        "https://kaz.inform.kz/news/a-aaa001/": None,
        "https://kaz.inform.kz/news/b-aaa002/": None,
        "https://kaz.inform.kz/news/c-aaa003/": datetime(2026, 1, 1, 7, 45, tzinfo=ALMATY),
    }


def test_atom_feed_entries_and_dates() -> None:
    atom = (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>'
            b'<link rel="alternate" href="https://kaz.inform.kz/news/bir-aaa111/"/>'
            b"<published>2026-01-01T10:00:00+05:00</published><updated>2026-01-02T09:00:00+05:00</updated></entry>"
            b'<entry><link href="https://kaz.inform.kz/news/eki-bbb222/"/><updated>2026-01-01</updated></entry></feed>')
    entries = list(feed_entries(atom))
    assert entries == [("https://kaz.inform.kz/news/bir-aaa111/", "2026-01-01T10:00:00+05:00"),
                       ("https://kaz.inform.kz/news/eki-bbb222/", "2026-01-01")]
    assert parse_pub_date(entries[0][1], ALMATY) == datetime(2026, 1, 1, 10, 0, tzinfo=ALMATY)
    assert parse_pub_date(entries[1][1], ALMATY) == datetime(2026, 1, 1, 0, 0, tzinfo=ALMATY)
