"""Test helper: load the golden Kazinform articles (ground truth) or hand-made articles through `etl.store.load`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from etl.store import runs
from etl.store.load import load_rows

GOLDEN = Path(__file__).resolve().parent / "golden" / "kazinform"
UTC5 = timezone(timedelta(hours=5))
WARC_KEY = "raw/source=kazinform/date=2026-01-01/test.warc.gz"


def golden_truths() -> list[dict[str, Any]]:
    """Every golden ground-truth article, ordered by file name."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOLDEN.glob("*.truth.json"))]


def crawl_run(url: str, day: date = date(2026, 1, 1), key: str = WARC_KEY) -> int:
    """A loaded-looking crawl run for `day` with a recorded WARC at `key`; returns its id."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC5)
    run = runs.create_run(url, "kazinform", day, start, start + timedelta(days=1), refetch=False, trigger="test")
    runs.record_archive(url, run.id, key, key + ".manifest", "0" * 64, 10, 2, 1)
    return run.id


def row(run_id: int, truth: dict[str, Any], offset: int = 100, key: str = WARC_KEY) -> dict[str, Any]:
    """A staged row (as `etl.store.load.load_rows` takes it) from a ground-truth dict."""
    body = "\n".join(truth["paragraphs"])
    return {
        "source": truth.get("source", "kazinform"), "article_id": truth["article_id"], "url": truth["url"],
        "canonical_url": truth["canonical_url"], "language": truth.get("language", "kk"), "title": truth["title"],
        "published_at": truth["published_at"], "published_raw": truth["published_at"],
        "modified_at": truth.get("modified_at"), "body": body, "dateline_place": truth.get("dateline_place"),
        "author": truth.get("author"), "tags": truth.get("tags", []), "image_url": truth.get("image_url"),
        "content_hash": hashlib.sha256(body.encode("utf-8")).hexdigest(), "warc_key": key, "warc_offset": offset,
        "warc_record_id": None, "extractor_version": "test-1", "extraction": {"body": "selectors"},
        "fetched_at": "2026-01-03T00:00:00+00:00", "crawl_run_id": run_id,
    }


def load_truths(url: str, truths: Iterable[dict[str, Any]]) -> int:
    """Load `truths` under one crawl run; return the run id."""
    run_id = crawl_run(url)
    load_rows(url, [row(run_id, t, offset=100 + i) for i, t in enumerate(truths)], run_id=run_id)
    return run_id


def article(article_id: str, title: str, paragraphs: list[str], published_at: str, **extra: Any) -> dict[str, Any]:
    """A hand-made ground-truth dict."""
    url = f"https://kaz.inform.kz/news/test-{article_id}/"
    return {"article_id": article_id, "url": url, "canonical_url": url, "title": title, "paragraphs": paragraphs,
            "published_at": published_at, **extra}
