"""Re-extraction from the archive: a changed parser updates the affected articles without any HTTP request."""

from __future__ import annotations

from datetime import date

import pytest
from ops_support import query, reset, wire

from etl.core.config import Settings
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.extract import kazinform
from etl.steps import pipeline
from etl.steps.reextract import reextract

pytestmark = pytest.mark.integration


def test_changed_parser_updates_affected_articles_with_zero_requests(settings: Settings,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    reset(settings)
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(settings, replay)
        for day in (date(2025, 12, 31), date(2026, 1, 1)):
            pipeline.ingest_day(wired, "kazinform", day)
        before = dict(query(settings, "SELECT article_id, content_hash || extractor_version FROM articles"))
        versions_before = query(settings, "SELECT count(*) FROM article_versions")[0][0]
        affected = {row[0] for row in query(settings, "SELECT article_id FROM articles "
                                                      "WHERE extractor_version = %s", (kazinform.VERSION_2026,))}
        assert affected and len(affected) < len(before)
        requests = len(replay.requests)

        original = kazinform.KazinformParser.paragraphs
        monkeypatch.setattr(kazinform.KazinformV2026, "VERSION", "kazinform-2026.2")
        monkeypatch.setattr(kazinform.KazinformV2026, "paragraphs",
                            lambda self: (*original(self), "Қосымша абзац."))
        result = reextract(wired, source="kazinform", since=date(2025, 12, 31), until=date(2026, 1, 1))

        assert len(replay.requests) == requests, "re-extraction must not fetch anything"
    assert result.updated == len(affected) and result.parsed == len(before) and not result.errors
    after = {row[0]: row[1:] for row in query(settings, "SELECT article_id, extractor_version, body, "
                                                        "content_hash || extractor_version FROM articles")}
    assert {aid for aid, (version, _, _) in after.items() if version == "kazinform-2026.2"} == affected
    assert all(after[aid][1].endswith("\nҚосымша абзац.") for aid in affected)
    assert {aid: row[2] for aid, row in after.items() if aid not in affected} == {
        aid: value for aid, value in before.items() if aid not in affected}
    assert query(settings, "SELECT count(*) FROM article_versions")[0][0] == versions_before + len(affected)
    assert query(settings, "SELECT count(*) FROM article_versions WHERE extractor_version = 'kazinform-2026.2'") == [
        (len(affected),)]

    again = reextract(wired, source="kazinform")
    assert again.updated == 0 and again.unchanged == len(before)
