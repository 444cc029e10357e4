"""Tests for the Kazinform parsers and the fallback chain, on small inline pages mimicking both markups."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from etl.core.errors import UserError
from etl.extract import ExtractionError
from etl.extract.base import normalise_language
from etl.extract.kazinform import VERSION_2025, VERSION_2026
from etl.sources import KAZINFORM, extract_article

URL = "https://kaz.inform.kz/news/astanada-zhana-sayabak-ashyldy-a1b2c3/"
TITLE = "Астанада жаңа саябақ ашылды"

HEAD = """<meta charset="utf-8">
<title>Астанада жаңа саябақ ашылды | Kazinform</title>
<meta property="og:title" content="Астанада жаңа саябақ ашылды | Kazinform">
<meta property="article:published_time" content="2025-11-13T14:35:00+05:00">
<meta property="article:modified_time" content="2025-11-13T16:00:00+05:00">
<meta name="author" content="Айгүл Сейітқызы">
<meta property="og:image" content="/uploads/2025/11/sayabak.jpg">
<link rel="canonical" href="https://kaz.inform.kz/news/astanada-zhana-sayabak-ashyldy-a1b2c3/">"""

BODY_2026 = """
<p><strong>АСТАНА. KAZINFORM</strong> – Елордада жаңа&nbsp;саябақ ашылды, деп хабарлайды Kazinform тілшісі.</p>
<figure><img src="/uploads/sayabak.jpg" alt="Саябақ"><figcaption>Фото: Астана әкімдігі</figcaption></figure>
<div class="adfox-banner" id="adfox_1712"><p>Жарнама</p></div>
<p>Саябақтың ауданы<br>12 гектарды құрайды. Мұнда балалар алаңы мен велосипед жолдары бар.</p>
<script>window.ads = [];</script>
<blockquote><p>«Біз тұрғындардың тілегін ескердік», – деді әкімдік өкілі.</p></blockquote>
<div class="article__share"><p>Бөлісу</p></div>
<blockquote>Саябақ тәулік бойы ашық болады.</blockquote>
<p>Айта кетейік, биыл қалада тағы үш саябақ ашылады.</p>
<div class="article__tags"><a href="/tag/astana">Астана</a> <a href="/tag/sayabak">Саябақ</a>
<a href="/tag/astana">Астана</a></div>
<div class="related-news"><p>Бұл да қызық: Алматыда жаңа көпір салынды</p></div>
<p>Бұл абзац тегтерден кейін тұр, мәтінге кірмейді.</p>"""

EXPECTED_BODY = (
    "АСТАНА. KAZINFORM – Елордада жаңа саябақ ашылды, деп хабарлайды Kazinform тілшісі.",
    "Саябақтың ауданы 12 гектарды құрайды. Мұнда балалар алаңы мен велосипед жолдары бар.",
    "«Біз тұрғындардың тілегін ескердік», – деді әкімдік өкілі.",
    "Саябақ тәулік бойы ашық болады.",
    "Айта кетейік, биыл қалада тағы үш саябақ ашылады.",
)


def page_2026(
    *,
    head: str = HEAD,
    h1: str = f"<h1>{TITLE}</h1>",
    time: str = "14:35, 13 Қараша 2025 | GMT +5",
    body: str = BODY_2026,
    container: str = "article__content",
    lang: str = "kk",
) -> str:
    """A 2026-markup article page."""
    return f"""<!DOCTYPE html><html lang="{lang}"><head>{head}</head><body>
<header><a class="logo" href="/">Kazinform</a><nav><a href="/lenta/">Жаңалықтар лентасы</a></nav></header>
<main><div class="article">{h1}<div class="article__time">{time}</div>
<div class="{container}">{body}</div></div></main>
<footer><p>© 2026 «Kazinform» ХАА</p></footer></body></html>"""


def page_2025(*, head: str = HEAD, lead: str = "Елордада тұрғындарға арналған тағы бір демалыс орны пайда болды.") -> str:
    """A 2025-markup article page with a lead in `.article__description`."""
    return f"""<!DOCTYPE html><html lang="kk-KZ"><head>{head}</head><body>
<div class="article"><h1 class="article__title">{TITLE}</h1>
<div class="article__time">14:35, 13 Қараша 2025 | GMT +5</div>
<div class="article__description">{lead}</div>
<div class="article__body-text">
<p>НҰР-СҰЛТАН. ҚазАқпарат – Елордада жаңа саябақ ашылды.</p>
<div class="adfox"><p>Жарнама</p></div>
<p>Саябақтың ауданы 12 гектарды құрайды.</p>
<style>p {{ color: red; }}</style>
<div class="related"><a href="/news/x-abcdef/">Алматыда жаңа көпір салынды</a></div>
</div>
<div class="article__tags"><a href="/tag/astana">Астана</a></div>
</div></body></html>"""


def jsonld(data: object) -> str:
    """A JSON-LD script element."""
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def test_2026_page_every_field() -> None:
    article = extract_article("kazinform", URL, page_2026())
    assert article.extractor_version == VERSION_2026
    assert article.source == "kazinform"
    assert article.article_id == "a1b2c3"
    assert article.url == URL
    assert article.canonical_url == URL
    assert article.title == TITLE
    assert article.paragraphs == EXPECTED_BODY
    assert article.published_at == datetime(2025, 11, 13, 9, 35, tzinfo=UTC)
    assert article.published_raw == "2025-11-13T14:35:00+05:00"
    assert article.modified_at == datetime(2025, 11, 13, 11, 0, tzinfo=UTC)
    assert article.dateline_place == "АСТАНА"
    assert article.author == "Айгүл Сейітқызы"
    assert article.tags == ("Астана", "Саябақ")
    assert article.language == "kk"
    assert article.image_url == "https://kaz.inform.kz/uploads/2025/11/sayabak.jpg"
    assert article.methods == {
        "author": "meta",
        "body": "selectors",
        "canonical_url": "meta",
        "image_url": "meta",
        "language": "meta",
        "modified_at": "meta",
        "published_at": "meta",
        "tags": "selectors",
        "title": "meta",
    }
    assert not article.used_fallback


def test_2025_page_lead_first_and_old_dateline() -> None:
    article = extract_article("kazinform", URL, page_2025())
    assert article.extractor_version == VERSION_2025
    assert article.paragraphs == (
        "Елордада тұрғындарға арналған тағы бір демалыс орны пайда болды.",
        "НҰР-СҰЛТАН. ҚазАқпарат – Елордада жаңа саябақ ашылды.",
        "Саябақтың ауданы 12 гектарды құрайды.",
    )
    assert article.dateline_place == "НҰР-СҰЛТАН"
    assert article.language == "kk"
    assert article.tags == ("Астана",)


def test_2025_page_lead_in_paragraphs_not_repeated() -> None:
    lead = "<p>Елордада жаңа саябақ.</p><p>Екінші сөйлем.</p>"
    article = extract_article("kazinform", URL, page_2025(lead=lead))
    assert article.paragraphs[:3] == ("Елордада жаңа саябақ.", "Екінші сөйлем.", "НҰР-СҰЛТАН. ҚазАқпарат – Елордада жаңа саябақ ашылды.")


def test_title_from_h1_when_no_meta_or_jsonld() -> None:
    article = extract_article("kazinform", URL, page_2026(head='<meta charset="utf-8">'))
    assert article.title == TITLE
    assert article.methods["title"] == "selectors"


def test_title_suffix_stripped_from_og_title() -> None:
    head = '<meta property="og:title" content="Жаңа саябақ  |  Kazinform ">'
    article = extract_article("kazinform", URL, page_2026(head=head, h1="<h1>Басқа тақырып</h1>"))
    assert article.title == "Жаңа саябақ"
    assert article.methods["title"] == "meta"


def test_jsonld_comes_first_for_title_dates_author_and_tags() -> None:
    data = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Kazinform"},
            {
                "@type": "NewsArticle",
                "headline": "Жаңа саябақ &laquo;Жасыл&raquo; ашылды | Kazinform",
                "datePublished": "2025-11-13T14:30:00+05:00",
                "dateModified": "2025-11-14T10:00:00+05:00",
                "author": [{"@type": "Person", "name": "Ерлан Қасымов"}, {"@type": "Organization", "name": "Kazinform"}],
                "keywords": "Астана, саябақ, Астана",
                "articleBody": "Бұл мәтін қолданылмайды.",
            },
        ],
    }
    article = extract_article("kazinform", URL, page_2026(head=HEAD + jsonld(data)))
    assert article.title == "Жаңа саябақ «Жасыл» ашылды"
    assert article.published_at == datetime(2025, 11, 13, 9, 30, tzinfo=UTC)
    assert article.published_raw == "2025-11-13T14:30:00+05:00"
    assert article.modified_at == datetime(2025, 11, 14, 5, 0, tzinfo=UTC)
    assert article.author == "Ерлан Қасымов"
    assert article.tags == ("Астана", "саябақ")
    assert article.paragraphs == EXPECTED_BODY  # site selectors win for the body
    assert {article.methods[name] for name in ("title", "published_at", "modified_at", "author", "tags")} == {"jsonld"}
    assert article.methods["body"] == "selectors"


def test_visible_time_when_no_metadata() -> None:
    article = extract_article("kazinform", URL, page_2026(head="", time="09:05, 29 ақпан 2024 | GMT +6"))
    assert article.published_at == datetime(2024, 2, 29, 3, 5, tzinfo=UTC)
    assert article.published_raw == "09:05, 29 ақпан 2024 | GMT +6"
    assert article.methods["published_at"] == "selectors"
    assert article.modified_at is None and "modified_at" not in article.methods


def test_visible_time_without_offset_uses_almaty() -> None:
    article = extract_article("kazinform", URL, page_2026(head="", time="09:05, 29 ақпан 2024"))
    assert article.published_at == datetime(2024, 2, 29, 3, 5, tzinfo=UTC)
    article = extract_article("kazinform", URL, page_2026(head="", time="09:05, 1 наурыз 2024"))
    assert article.published_at == datetime(2024, 3, 1, 4, 5, tzinfo=UTC)


def test_future_date_rejected_against_fetch_time(caplog: pytest.LogCaptureFixture) -> None:
    head = '<meta property="article:published_time" content="2035-01-01T00:00:00+05:00">'
    with caplog.at_level(logging.WARNING, logger="etl.extract.base"):
        article = extract_article(
            "kazinform", URL, page_2026(head=head), fetched_at=datetime(2025, 11, 14, tzinfo=UTC)
        )
    assert article.published_at == datetime(2025, 11, 13, 9, 35, tzinfo=UTC)
    assert article.methods["published_at"] == "selectors"
    assert "implausible date" in caplog.text and URL in caplog.text


def test_no_date_at_all() -> None:
    article = extract_article("kazinform", URL, page_2026(head="", time=""))
    assert article.published_at is None and article.published_raw is None


def test_broken_body_selector_falls_back_to_generic(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="etl.extract.base"):
        article = extract_article("kazinform", URL, page_2026(container="article__text-v3"))
    assert article.methods["body"] == "generic"
    assert article.used_fallback
    assert article.extractor_version == VERSION_2026
    assert "АСТАНА. KAZINFORM – Елордада жаңа саябақ ашылды, деп хабарлайды Kazinform тілшісі." in article.paragraphs
    assert "Айта кетейік, биыл қалада тағы үш саябақ ашылады." in article.paragraphs
    assert article.dateline_place == "АСТАНА"
    assert article.title == TITLE
    assert "generic extractor" in caplog.text


def test_broken_selectors_everywhere_still_yield_title_and_body() -> None:
    html = page_2026(head="", h1=f'<div class="headline">{TITLE}</div>', container="story")
    html = html.replace("<head></head>", f"<head><title>{TITLE} | Kazinform</title></head>")
    article = extract_article("kazinform", URL, html)
    assert article.title == TITLE
    assert article.methods["title"] == "generic"
    assert article.methods["body"] == "generic"


def test_jsonld_article_body_before_generic() -> None:
    data = {"@type": "NewsArticle", "headline": TITLE, "articleBody": "Бірінші абзац.\n\nЕкінші\u00a0абзац."}
    article = extract_article("kazinform", URL, page_2026(head=jsonld(data), container="renamed"))
    assert article.paragraphs == ("Бірінші абзац.", "Екінші абзац.")
    assert article.methods["body"] == "jsonld"


def test_not_an_article_raises_with_url_and_reason() -> None:
    listing = (
        '<!DOCTYPE html><html lang="kk"><head><title>Қоғам | Kazinform</title></head><body><h1>Қоғам</h1>'
        '<ul class="allNews__list"><li><a href="/news/x-abc123/">Астанада жаңа саябақ ашылды</a></li>'
        '<li><a href="/news/y-abc124/">Алматыда көпір салынды</a></li></ul></body></html>'
    )
    with pytest.raises(ExtractionError, match=r"a1b2c3.*no body"):
        extract_article("kazinform", URL, listing)


def test_empty_document_raises() -> None:
    with pytest.raises(ExtractionError, match="a1b2c3"):
        extract_article("kazinform", URL, "")


def test_page_without_title_raises() -> None:
    html = "<html><body><div class='article__content'><p>Мәтін бар, бірақ тақырып жоқ.</p></div></body></html>"
    with pytest.raises(ExtractionError, match="no title"):
        extract_article("kazinform", URL, html)


def test_bytes_decoded_by_declared_charset() -> None:
    html = (
        '<html lang="ru"><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
        "<title>Новый парк открылся в Астане | Kazinform</title></head><body><h1>Новый парк открылся в Астане</h1>"
        '<div class="article__content"><p>АСТАНА. KAZINFORM – Парк открыт.</p></div></body></html>'
    )
    article = extract_article("kazinform", URL, html.encode("cp1251"))
    assert article.title == "Новый парк открылся в Астане"
    assert article.paragraphs == ("АСТАНА. KAZINFORM – Парк открыт.",)
    assert article.language == "ru"


def test_bytes_default_to_utf8() -> None:
    article = extract_article("kazinform", URL, page_2026(head="").encode("utf-8"))
    assert article.title == TITLE and article.paragraphs == EXPECTED_BODY


def test_canonical_not_an_article_url_falls_back_to_page_url() -> None:
    head = '<link rel="canonical" href="https://kaz.inform.kz/">'
    article = extract_article("kazinform", URL.rstrip("/") + "?utm_source=tg#top", page_2026(head=head))
    assert article.canonical_url == URL
    assert article.article_id == "a1b2c3"
    assert article.methods["canonical_url"] == "selectors"


def test_relative_canonical_normalised() -> None:
    head = '<link rel="canonical" href="/news/astanada-zhana-sayabak-ashyldy-a1b2c3">'
    article = extract_article("kazinform", URL, page_2026(head=head))
    assert article.canonical_url == URL
    assert article.methods["canonical_url"] == "meta"


def test_article_id_from_canonical_when_url_is_not_an_article_url() -> None:
    article = extract_article("kazinform", "https://kaz.inform.kz/amp/123", page_2026())
    assert article.article_id == "a1b2c3"
    assert article.canonical_url == URL


def test_no_article_id_raises() -> None:
    with pytest.raises(ExtractionError, match="article id"):
        extract_article("kazinform", "https://kaz.inform.kz/lenta/", page_2026(head=""))


def test_language_default_is_the_source_language() -> None:
    article = extract_article("kazinform", URL, page_2026(lang=""))
    assert article.language == "kk"
    assert article.methods["language"] == "selectors"


@pytest.mark.parametrize(("raw", "expected"), [("kk", "kk"), ("kk-KZ", "kk"), ("KZ", "kk"), ("ru_RU", "ru"), ("", None)])
def test_normalise_language(raw: str, expected: str | None) -> None:
    assert normalise_language(raw) == expected


def test_normalise_url() -> None:
    assert KAZINFORM.urls.normalise("HTTPS://Kaz.Inform.kz/news/x-abc123?a=1#b") == "https://kaz.inform.kz/news/x-abc123/"


def test_invisible_characters_cleaned_in_every_field() -> None:
    html = page_2026(head="", h1="<h1>Астанада\u00a0жаңа\u200b саябақ ашылды</h1>")
    article = extract_article("kazinform", URL, html)
    assert article.title == TITLE
    assert all("\u00a0" not in paragraph for paragraph in article.paragraphs)


def test_unknown_source() -> None:
    with pytest.raises(UserError):
        extract_article("nosuchsource", URL, page_2026())


def test_lead_inside_related_block_is_ignored() -> None:
    related = '<div class="related-news"><div class="article__description">Басқа жаңалықтың қысқаша мазмұны.</div></div>'
    article = extract_article("kazinform", URL, page_2026(body=related + BODY_2026))
    assert article.paragraphs == EXPECTED_BODY


def test_version_chosen_by_container() -> None:
    nested = page_2026(body=f'<div class="article__body-text">{BODY_2026}</div>')
    assert extract_article("kazinform", URL, nested).extractor_version == VERSION_2025
    assert extract_article("kazinform", URL, page_2026()).extractor_version == VERSION_2026
    assert extract_article("kazinform", URL, page_2026(container="other")).extractor_version == VERSION_2026


CHALLENGE = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body>
<div class="main-wrapper" role="main"><div class="main-content"><h1>kaz.inform.kz</h1>
<h2>Verifying you are human. This may take a few seconds.</h2>
<noscript>Enable JavaScript and cookies to continue</noscript></div></div>
<script>(function(){window._cf_chl_opt={cType: 'managed'};}());</script></body></html>"""


def test_challenge_page_is_not_an_article() -> None:
    with pytest.raises(ExtractionError, match=r"a1b2c3.*challenge"):
        extract_article("kazinform", URL, CHALLENGE)
    untitled = CHALLENGE.replace("Just a moment...", "kaz.inform.kz")
    with pytest.raises(ExtractionError, match="challenge"):
        extract_article("kazinform", URL, untitled)
    title_only = CHALLENGE.replace("_cf_chl_opt", "other")
    with pytest.raises(ExtractionError, match="challenge"):
        extract_article("kazinform", URL, title_only)


def test_time_datetime_attribute_before_visible_text() -> None:
    time = '<time datetime="2026-01-01T13:10:00+05:00">13:10, 1 Қаңтар 2026</time> | GMT +5'
    article = extract_article("kazinform", URL, page_2026(head="", time=time))
    assert article.published_at == datetime(2026, 1, 1, 8, 10, tzinfo=UTC)
    assert article.published_raw == "2026-01-01T13:10:00+05:00"
    assert article.methods["published_at"] == "selectors"
    article = extract_article("kazinform", URL, page_2026(head="", time=time.replace(' datetime="2026-01-01T13:10:00+05:00"', "")))
    assert article.published_raw == "13:10, 1 Қаңтар 2026 | GMT +5"
    assert article.published_at == datetime(2026, 1, 1, 8, 10, tzinfo=UTC)
