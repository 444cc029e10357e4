"""Helpers shared by the operations tests (backfill, coverage, reextract, health, report): the replay site wired
into Settings, an empty operations state, and snapshots of what the archive holds."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections import Counter
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg2

from etl.core.config import Settings
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.store import s3

REPO = Path(__file__).resolve().parents[1]
DAYS = json.loads((REPO / "fixtures" / "kazinform" / "days.json").read_text(encoding="utf-8"))


def wire(settings: Settings, replay: ReplayServer) -> Settings:
    """Settings that send kaz.inform.kz to the replay server, without delays."""
    return dataclasses.replace(settings, host_overrides=MappingProxyType({"kaz.inform.kz": replay.base_url}),
                               download_delay=0.0)


def copy_replay(tmp: Path) -> Path:
    """A private copy of the replay fixtures that a test may change."""
    root = tmp / "replay"
    shutil.copytree(DEFAULT_ROOT, root)
    return root


def strip_body_markup(root: Path, day: str) -> list[str]:
    """Rename the body containers of a kazinform replay day's article pages (a site redesign); return the URLs."""
    urls = DAYS["days"][day]["articles"]
    for url in urls:
        page = root / "kaz.inform.kz" / url.split("kaz.inform.kz/", 1)[1] / "index.html"
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("article__body-text", "story-text").replace("article__content", "story-box"),
                        encoding="utf-8")
    return list(urls)


def other_database(url: str, name: str) -> str:
    """`url` pointing at database `name` of the same server (its query, e.g. `?passfile=`, kept)."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def query(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one query and return its rows."""
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []


def reset(settings: Settings) -> None:
    """Empty the archive and the operations tables (the per-test fixture leaves backfill jobs behind)."""
    query(settings, "TRUNCATE backfill_jobs, backfill_days, coverage, article_aliases, article_versions, articles, "
                    "raw_archives, crawl_runs RESTART IDENTITY CASCADE")


def snapshot(settings: Settings) -> dict[str, Any]:
    """What must be equal between two ways of reaching the same archive: rows, hashes, raw objects per day."""
    articles = query(settings, """SELECT a.canonical_url, a.content_hash, a.title, a.published_at, a.author,
                                         a.extractor_version, r.partition_date, o.canonical_url
                                  FROM articles a JOIN crawl_runs r ON r.id = a.crawl_run_id
                                  LEFT JOIN articles o ON o.id = a.duplicate_of ORDER BY 1""")
    keys = list(s3.iter_keys(s3.client(settings), settings.s3_bucket, "raw/"))
    per_day = Counter(key.split("/")[2] + ("/warc" if key.endswith(".warc.gz") else "/manifest") for key in keys)
    return {
        "articles": articles,
        "versions": query(settings, "SELECT count(*) FROM article_versions"),
        "aliases": query(settings, "SELECT url FROM article_aliases ORDER BY url"),
        "raw_objects_per_day": dict(sorted(per_day.items())),
        "loaded_runs_per_day": query(settings, "SELECT partition_date, count(*) FROM crawl_runs "
                                               "WHERE status = 'loaded' GROUP BY 1 ORDER BY 1"),
    }


def delete_articles(settings: Settings, ids: list[int]) -> None:
    """Delete articles and whatever references them (found in the catalog, so new tables are covered too)."""
    from psycopg2 import sql

    refs = query(settings, """SELECT c.conrelid::regclass::text, a.attname
                              FROM pg_constraint c JOIN pg_attribute a
                                ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                              WHERE c.contype = 'f' AND c.confrelid = 'articles'::regclass""")
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        for table, column in refs:
            if table == "articles":
                cur.execute(sql.SQL("UPDATE articles SET {col} = NULL WHERE {col} = ANY(%s)").format(
                    col=sql.Identifier(column)), (ids,))
        cur.execute("UPDATE articles SET duplicate_kind = NULL, similarity = NULL WHERE duplicate_of IS NULL "
                    "AND duplicate_kind IS NOT NULL")
        for table, column in refs:
            if table != "articles":
                cur.execute(sql.SQL("DELETE FROM {t} WHERE {col} = ANY(%s)").format(
                    t=sql.Identifier(*table.split(".")), col=sql.Identifier(column)), (ids,))
        cur.execute("DELETE FROM articles WHERE id = ANY(%s)", (ids,))


def archive_state(settings: Settings) -> dict[str, Any]:
    """All the pipeline leaves in PostgreSQL, keyed by URL and content (ids and clock times differ by run):
    articles with their hashes and duplicate links, versions, the MinHash index and the coverage ledger."""
    return {
        "articles": query(settings, """
            SELECT a.source, a.canonical_url, a.content_hash, a.extractor_version, r.partition_date, r.status,
                   o.canonical_url, a.duplicate_kind, round(a.similarity::numeric, 6), c.canonical_url
            FROM articles a JOIN crawl_runs r ON r.id = a.crawl_run_id
            LEFT JOIN articles o ON o.id = a.duplicate_of LEFT JOIN articles c ON c.id = a.cluster_id
            ORDER BY 1, 2"""),
        "versions": query(settings, """SELECT a.canonical_url, v.content_hash, v.title FROM article_versions v
                                       JOIN articles a ON a.id = v.article_pk ORDER BY 1, 2"""),
        "signatures": query(settings, """SELECT a.canonical_url, s.params, s.content_hash, md5(s.signature)
                                         FROM minhash_signatures s JOIN articles a ON a.id = s.article_pk
                                         ORDER BY 1"""),
        "bands": query(settings, """SELECT a.canonical_url, md5((to_jsonb(l) - 'article_pk')::text)
                                    FROM minhash_lsh l JOIN articles a ON a.id = l.article_pk ORDER BY 1"""),
        "coverage": query(settings, """SELECT source, day, status, detail, runs, discovered, fetched, blocked, failed,
                                              archived, extracted, extract_errors, expected, loaded, duplicates,
                                              fallback_extractions, health, health_message
                                       FROM coverage ORDER BY 1, 2"""),
    }
