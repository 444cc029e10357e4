"""End to end on the replay site: language/script/normalized fields on every article, boilerplate removed with
a record, and a next-day republication with a changed lead and footer linked as a near-duplicate."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from types import MappingProxyType
from typing import Any

import psycopg2
import pytest

from etl.core.config import Settings
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.steps import pipeline
from etl.steps.load import link_run

pytestmark = pytest.mark.integration
REPUBLISHED_PAGE = "news/tzhm-pirotekhnikany-abailap-koldanuga-shakyrdy-a70e5c/index.html"
OLD_LEAD = ("<p>АСТАНА. KAZINFORM –&nbsp;Төтенше жағдайлар министрлігі азаматтарды мереке күндері "
            "пиротехникалық бұйымдарды абайлап қолдануға шақырды.</p>")
NEW_LEAD = "<p>Астана, Qazaq Times тілшісі – Министрлік жаңа жыл мерекесінде отшашуды сақтықпен қолдануды сұрады.</p>"
OLD_LAST = "<p>Өрт немесе төтенше жағдай туындаған кезде 112 нөміріне хабарласу керек.</p>"
NEW_LAST = (OLD_LAST + "<p>Бұған дейін қысқы демалыс кезіндегі қауіпсіздік ережелері туралы жазған едік.</p>"
            "<p>Фото: Qazaq Times</p><p>Жаңалықтарды Telegram арнамыздан оқыңыз</p>")


def _query(settings: Settings, sql: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_republication_with_changed_lead_and_footer_is_a_near_duplicate(settings: Settings,
                                                                      tmp_path: Path) -> None:
    root = tmp_path / "replay"
    shutil.copytree(DEFAULT_ROOT, root)
    page = root / "kaz.inform.kz" / REPUBLISHED_PAGE
    html = page.read_text(encoding="utf-8")
    assert OLD_LEAD in html and OLD_LAST in html
    page.write_text(html.replace(OLD_LEAD, NEW_LEAD).replace(OLD_LAST, NEW_LAST), encoding="utf-8")
    with ReplayServer(root) as replay:
        wired = dataclasses.replace(settings, host_overrides=MappingProxyType({"kaz.inform.kz": replay.base_url}),
                                    download_delay=0.0)
        first = pipeline.ingest_day(wired, "kazinform", pipeline.date(2025, 12, 31))
        second = pipeline.ingest_day(wired, "kazinform", pipeline.date(2026, 1, 1))
        assert first["near_duplicates"] == 0
        assert second["near_duplicates"] == 1 and second["duplicates"] == 0  # no longer an exact copy

        rows = _query(wired, """SELECT a.article_id, o.article_id, a.duplicate_kind, a.similarity, a.cluster_id = o.id,
                                       a.boilerplate_removed, a.body
                                FROM articles a JOIN articles o ON o.id = a.duplicate_of""")
        assert len(rows) == 1
        copy, original, kind, similarity, same_cluster, removed, body = rows[0]
        assert (copy, original, kind, same_cluster) == ("a70e5c", "c3c6b6", "near", True)
        assert 0.25 <= similarity < 1
        assert removed == ["Фото: Qazaq Times", "Жаңалықтарды Telegram арнамыздан оқыңыз"]
        assert "Фото:" not in body and "Qazaq Times тілшісі" in body

        # Language and script are right on every fixture article; every article has its normalized copy.
        labels = _query(wired, "SELECT detected_language, script, language_shares, count(*) FROM articles "
                               "WHERE normalized_body IS NOT NULL GROUP BY 1, 2, 3")
        loaded = _query(wired, "SELECT count(*) FROM articles")[0][0]
        assert labels == [("kk", "Cyrl", {"kk": 1.0}, loaded)]
        # Only the two members of the cluster carry a cluster id; re-running the step changes nothing.
        assert _query(wired, "SELECT count(*) FROM articles WHERE cluster_id IS NOT NULL") == [(2,)]
        before = _query(wired, "SELECT id, duplicate_of, similarity, cluster_id, updated_at FROM articles ORDER BY id")
        run_id = second["run_id"]
        assert link_run(wired, run_id)["near_links_changed"] == 0
        assert _query(wired, "SELECT id, duplicate_of, similarity, cluster_id, updated_at FROM articles "
                             "ORDER BY id") == before


def test_dedup_step_refuses_a_run_that_is_not_loaded(settings: Settings) -> None:
    from datetime import date, datetime, timedelta, timezone

    from etl.core.errors import PipelineError
    from etl.store import runs

    start = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5)))
    run = runs.create_run(settings.require_database_url(), "kazinform", date(2026, 1, 1), start,
                          start + timedelta(days=1), refetch=False, trigger="test")
    with pytest.raises(PipelineError, match="the run is crawling, the step needs stored"):
        pipeline.run_step(settings, "neardup", run.id)

