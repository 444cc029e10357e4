"""Redesign resilience: when a site's selectors miss, the generic steps still get title, date and body right.

The redesigned pages are the golden pages of every source passed through fixtures/drift/redesign.py (opaque
class names, no JSON-LD, no date meta tags, dates only as text); each is checked against its hand-written truth.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from etl.extract import ExtractionError
from etl.extract.textdates import parse_text_date
from etl.sources import extract_article
from etl.transform.quality import assess

ALMATY = ZoneInfo("Asia/Almaty")  # the zone of the Kazakh sources

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
TRUTHS = sorted(GOLDEN.glob("*/*.truth.json"))


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


redesign = _load(REPO / "fixtures" / "drift" / "redesign.py", "drift_redesign").redesign

# The case: a Kazinform page whose containers were renamed, without article:published_time, with the
# date only as visible text in an unknown element.
KAZINFORM_URL = "https://kaz.inform.kz/news/astanada-zhana-kopir-ashyldy-9f3c21/"
KAZINFORM_DRIFTED = """<!DOCTYPE html><html lang="kk"><head><meta charset="utf-8">
<title>Астанада жаңа көпір ашылды | Kazinform</title>
<meta property="og:title" content="Астанада жаңа көпір ашылды | Kazinform"></head>
<body><header><nav><a href="/">Басты бет</a> <a href="/lenta/">Лента</a></nav></header>
<main><div class="story-x1"><h1 class="hd-9">Астанада жаңа көпір ашылды</h1>
<div class="meta-q"><span class="when-z">00:30, 13 Қараша 2025</span> <span>Автор: Ә. Сейіт</span></div>
<div class="txt-k">
<p>АСТАНА. KAZINFORM – Есіл өзені арқылы салынған жаңа көпір көлік қозғалысына ашылды.</p>
<figure><img src="/a.jpg"><figcaption>Фото: Kazinform</figcaption></figure>
<div class="ad-r"><p>Жарнама</p></div>
<p>Көпірдің ұзындығы 420 метр, оның екі жағында жаяу жүргіншілер жолы бар.</p>
<p>Оқи отырыңыз: <a href="/news/other-abc123/">Елордада жаңа саябақ ашылды</a></p>
<p>Құрылыс екі жылға созылды.</p>
</div>
<div class="rel-n"><h3>Тақырыпқа қатысты</h3><p><a href="/news/x-abc124/">Басқа жаңалық</a></p></div>
</div></main><footer><p>© 2025 Kazinform</p></footer></body></html>
"""


def test_kazinform_date_only_as_visible_text_is_found() -> None:
    article = extract_article("kazinform", KAZINFORM_URL, KAZINFORM_DRIFTED,
                              fetched_at=datetime(2025, 11, 13, 12, tzinfo=UTC))
    assert article.published_at == datetime(2025, 11, 12, 19, 30, tzinfo=UTC)  # 00:30 in Almaty (UTC+5)
    assert article.published_raw == "00:30, 13 Қараша 2025"
    assert article.methods["published_at"] == "generic"
    assert article.title == "Астанада жаңа көпір ашылды"
    assert article.paragraphs == (
        "АСТАНА. KAZINFORM – Есіл өзені арқылы салынған жаңа көпір көлік қозғалысына ашылды.",
        "Көпірдің ұзындығы 420 метр, оның екі жағында жаяу жүргіншілер жолы бар.",
        "Құрылыс екі жылға созылды.",
    )
    assert article.methods["body"] == "generic"


def test_extract_command_writes_the_corpus_document_of_that_page(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(KAZINFORM_DRIFTED, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "etl.cli.main", "extract", "--source", "kazinform", "--url", KAZINFORM_URL,
         "--format", "corpus", str(page)], capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "2025-11-13" in result.stdout and "Traceback" not in result.stderr


def test_extract_command_without_any_date_is_one_line(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(KAZINFORM_DRIFTED.replace("00:30, 13 Қараша 2025", "бүгін"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "etl.cli.main", "extract", "--source", "kazinform", "--url", KAZINFORM_URL,
         "--format", "corpus", str(page)], capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and KAZINFORM_URL in errors[0] and "no publication date" in errors[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("00:30, 13 Қараша 2025", "2025-11-13T00:30:00+05:00"),
    ("14:35, 13 Қараша 2025 | GMT +5", "2025-11-13T14:35:00+05:00"),
    ("Жарияланды: 13 қарашада 2025, 09:15", "2025-11-13T09:15:00+05:00"),
    ("2025 жылғы 13 қараша, 09:15", "2025-11-13T09:15:00+05:00"),
    ("13 qarasha 2025, 09:15", "2025-11-13T09:15:00+05:00"),
    ("13 ноября 2025 г. в 09:15", "2025-11-13T09:15:00+05:00"),
    ("Опубликовано 13 ноября 2025, 09:15 (GMT+6)", "2025-11-13T09:15:00+06:00"),
    ("November 13, 2025 9:15 PM", "2025-11-13T21:15:00+05:00"),
    ("13 November 2025, 09:15 UTC+00:00", "2025-11-13T09:15:00+00:00"),
    ("13.11.2025 09:15", "2025-11-13T09:15:00+05:00"),
    ("13 желтоқсан 2025", "2025-12-13T00:00:00+05:00"),
])
def test_visible_dates_in_every_language(text: str, expected: str) -> None:
    found = parse_text_date(text, ALMATY)
    assert found is not None and found.moment == datetime.fromisoformat(expected)
    assert found.has_time == ("00:00:00" not in expected)


@pytest.mark.parametrize("text", ["13 Foo 2025, 09:15", "31.02.2025 10:00", "GMT +5", "2025 жыл", "Тел: 8 700 13 11"])
def test_text_without_a_date(text: str) -> None:
    assert parse_text_date(text, ALMATY) is None


def test_a_page_without_any_date_takes_the_discovery_date() -> None:
    page = KAZINFORM_DRIFTED.replace("00:30, 13 Қараша 2025", "бүгін")
    listed = datetime.fromisoformat("2025-11-13T00:30:00+05:00")
    article = extract_article("kazinform", KAZINFORM_URL, page, listed_at=listed)
    assert article.published_at == listed
    assert article.methods["published_at"] == "discovery"
    assert extract_article("kazinform", KAZINFORM_URL, page).published_at is None


def test_the_page_date_wins_over_the_discovery_date() -> None:
    listed = datetime.fromisoformat("2025-11-14T08:00:00+05:00")
    article = extract_article("kazinform", KAZINFORM_URL, KAZINFORM_DRIFTED, listed_at=listed)
    assert article.published_at == datetime(2025, 11, 12, 19, 30, tzinfo=UTC)


def _golden(truth_path: Path) -> tuple[dict[str, Any], dict[str, Any], str]:
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    stem = truth_path.name.removesuffix(".truth.json")
    meta = json.loads(truth_path.with_name(f"{stem}.meta.json").read_text(encoding="utf-8"))
    html = gzip.decompress(truth_path.with_name(f"{stem}.html.gz").read_bytes()).decode("utf-8")
    return truth, meta, redesign(html)


@pytest.mark.parametrize("truth_path", TRUTHS, ids=[f"{p.parent.name}/{p.name.split('.')[0]}" for p in TRUTHS])
def test_redesigned_page_still_extracts(truth_path: Path) -> None:
    """Title, body (as the pipeline stores it) and date of the redesigned page match the truth."""
    truth, meta, html = _golden(truth_path)
    fetched = datetime.fromisoformat(meta["crawl_date"]) if meta.get("crawl_date") else None
    published = datetime.fromisoformat(truth["published_at"])
    article, _ = assess(extract_article(meta["source"], meta["url"], html, fetched_at=fetched))
    stored, _ = assess(extract_article(meta["source"], meta["url"], gzip.decompress(
        truth_path.with_name(truth_path.name.replace(".truth.json", ".html.gz")).read_bytes()), fetched_at=fetched))
    assert article.title == truth["title"]
    assert article.paragraphs == stored.paragraphs
    assert article.methods["body"] == "generic" and article.methods["published_at"] == "generic"
    assert article.published_at is not None
    assert article.published_at.astimezone(ALMATY).date() == published.astimezone(ALMATY).date()
    # With the date the feed gave, the page's own time wins where it shows one, the feed's time where not.
    dated = extract_article(meta["source"], meta["url"], html, fetched_at=fetched, listed_at=published)
    assert dated.published_at == published


FIRST_PAGES = sorted({path.parent.name: path for path in sorted(GOLDEN.glob("*/*.html.gz"))}.values())


@pytest.mark.parametrize("html_path", FIRST_PAGES, ids=lambda p: p.parent.name)
def test_broken_pages_are_an_article_or_one_line(html_path: Path) -> None:
    """Truncated and mangled pages: an article, or an ExtractionError naming the URL and what is missing."""
    meta = json.loads(html_path.with_name(html_path.name.replace(".html.gz", ".meta.json")).read_text("utf-8"))
    html = gzip.decompress(html_path.read_bytes())
    variants = [b"", b"\x00\xff\xfe", b"<html></html>", b"<?xml version='1.0'?><rss/>"]
    variants += [html[: len(html) * n // 16] for n in range(1, 16)]
    variants += [html[: len(html) * n // 16] + html[len(html) * (n + 1) // 16:] for n in range(16)]
    for data in variants:
        try:
            extract_article(meta["source"], meta["url"], data)
        except ExtractionError as exc:
            message = str(exc)
            assert message.startswith(f"{meta['url']}: ") and "\n" not in message, message


@pytest.mark.parametrize(("args", "expected"), [
    (["probe", "--source", "nosuch"], "unknown source 'nosuch'"),
    (["capture", "--source", "kazinform", "--from-warc", "foo"], "is not a WARC key"),
    (["capture", "--source", "kazinform"], "one of the arguments --from-warc --probe is required"),
])
def test_probe_and_capture_mistakes_are_one_line(args: list[str], expected: str, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "etl.cli.main", *args], capture_output=True, text=True,
                            cwd=REPO, timeout=120, env={**os.environ, "NEWSARCHIVE_STATE_DIR": str(tmp_path)})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and expected in errors[0], result.stderr
