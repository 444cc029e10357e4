"""The archive as a web archive: the capture index written by the archive step (S3 `.cdxj` and `captures`
rows), `show` with one ranged read, `verify` finding a corrupted record, WACZ packages validated by the `wacz`
package, and pywb replaying the exact stored HTML."""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import psycopg2
import pytest

from etl.cli.main import main
from etl.core.config import Settings
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.read import replay_archive, wacz
from etl.steps import pipeline
from etl.store import captures, s3, verify

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / replay_archive.TOOLS_VENV / "bin"
DAY = date(2026, 1, 1)
needs_tools = pytest.mark.skipif(not (TOOLS / "wacz").is_file() and not os.environ.get("CI"),
                                 reason="`make webarchive-tools` not run (.ci/run runs it and never skips)")


@pytest.fixture
def archived(settings: Settings) -> Iterator[Settings]:
    """Kazinform's replay day 2026-01-01 ingested through the pipeline."""
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = dataclasses.replace(settings, host_overrides=MappingProxyType({"kaz.inform.kz": replay.base_url}),
                                    download_delay=0.0)
        pipeline.ingest_day(wired, "kazinform", DAY)
        yield wired


def rows(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg2.connect(settings.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def warc_bytes(settings: Settings) -> tuple[str, bytes]:
    (key,) = rows(settings, "SELECT s3_key FROM raw_archives")[0]
    return key, s3.client(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()


def an_article(settings: Settings) -> tuple[str, str, int]:
    url, key, offset = rows(settings, "SELECT url, warc_key, warc_offset FROM articles ORDER BY id LIMIT 1")[0]
    return url, key, int(offset)


def test_archive_step_indexes_every_response(archived: Settings, tmp_path: Path) -> None:
    key, data = warc_bytes(archived)
    warc = tmp_path / "run.warc.gz"
    warc.write_bytes(data)
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", "-v", str(warc)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    responses = sum(1 for c in captures.index_stream(io.BytesIO(data), key))
    indexed = rows(archived, "SELECT status, count(*) FROM captures GROUP BY status ORDER BY status")
    assert sum(n for _, n in indexed) == responses
    statuses = {status for status, _ in indexed}
    assert {200, 403} <= statuses, "blocked responses are captures too"
    assert rows(archived, "SELECT count(*) FROM captures WHERE url LIKE '%%/lenta/%%'")[0][0] >= 1  # non-articles
    body = s3.client(archived).get_object(Bucket=archived.s3_bucket, Key=captures.cdxj_key(key))["Body"].read()
    lines = body.decode("utf-8").splitlines()
    assert len(lines) == responses and lines == sorted(lines, key=lambda line: line.split(" ", 2)[:2])
    first = json.loads(lines[0].split(" ", 2)[2])
    assert {"url", "mime", "status", "digest", "length", "offset", "filename"} <= set(first)
    # Archiving again changes nothing: the index is written once, the rows are not duplicated.
    run_id = rows(archived, "SELECT id FROM crawl_runs")[0][0]
    captures.index_run(archived, run_id, key)
    assert rows(archived, "SELECT count(*) FROM captures")[0][0] == responses


def test_show_returns_the_stored_bytes_with_one_ranged_read(archived: Settings, monkeypatch: pytest.MonkeyPatch,
                                                            capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    url, key, offset = an_article(archived)
    real_client = s3.client
    calls: list[dict[str, Any]] = []

    def counting_client(settings: Settings) -> Any:
        client = real_client(settings)
        client.meta.events.register("before-call.s3.GetObject",
                                    lambda params, **_: calls.append(params))
        return client

    monkeypatch.setattr(s3, "client", counting_client)
    capture = captures.find(archived.require_database_url(), url)
    assert (capture.warc_key, capture.warc_offset) == (key, offset)
    stored = captures.read(archived, capture)
    assert len(calls) == 1 and calls[0]["headers"]["Range"] == (
        f"bytes={capture.warc_offset}-{capture.warc_offset + capture.warc_length - 1}")
    page = DEFAULT_ROOT / "kaz.inform.kz" / url.split("kaz.inform.kz/", 1)[1] / "index.html"
    assert stored.body == page.read_bytes()
    assert stored.status_line.startswith("200")

    for name, value in {"DATABASE_URL": archived.require_database_url(),
                        "S3_ENDPOINT_URL": archived.s3_endpoint_url or "", "S3_BUCKET": archived.s3_bucket,
                        "AWS_ACCESS_KEY_ID": archived.aws_access_key_id,
                        "AWS_SECRET_ACCESS_KEY": archived.aws_secret_access_key}.items():
        monkeypatch.setenv(name, value)
    assert main(["show", "--body", url]) == 0
    assert capsysbinary.readouterr().out == page.read_bytes()
    assert main(["show", url, "--at", "2026-01-01T12:00+05:00"]) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith(f"# {url} captured ".encode()) and b"WARC-Type: response" in out
    assert out.endswith(page.read_bytes())
    assert main(["show", "https://kaz.inform.kz/news/never-seen-000000/"]) == 2
    assert capsysbinary.readouterr().err.count(b"\n") == 1


def _corrupt_member(data: bytes, offset: int) -> bytes:
    """The WARC with one byte of the record's payload changed (the gzip member re-compressed, so it reads)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    record = decompressor.decompress(data[offset:])
    end = len(data) - len(decompressor.unused_data)
    at = len(record) - 10  # inside the payload: a record ends with the payload and two CRLFs
    changed = record[:at] + bytes([record[at] ^ 0x01]) + record[at + 1:]
    return data[:offset] + gzip.compress(changed, mtime=0) + data[end:]


def test_verify_is_clean_then_finds_a_corrupted_record(archived: Settings, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    report = verify.verify(archived)
    assert report.problems == [] and report.archives == 1 and report.articles >= 1
    url, key, offset = an_article(archived)
    _, data = warc_bytes(archived)
    s3.client(archived).put_object(Bucket=archived.s3_bucket, Key=key, Body=_corrupt_member(data, offset))
    report = verify.verify(archived)
    assert any(p.startswith(f"{key}: ") and "sha256" in p for p in report.problems)
    assert any(p.startswith(f"{key}@{offset}:") and "digest" in p for p in report.problems), report.problems

    monkeypatch.setenv("DATABASE_URL", archived.require_database_url())
    for name, value in {"S3_ENDPOINT_URL": archived.s3_endpoint_url or "", "S3_BUCKET": archived.s3_bucket,
                        "AWS_ACCESS_KEY_ID": archived.aws_access_key_id,
                        "AWS_SECRET_ACCESS_KEY": archived.aws_secret_access_key}.items():
        monkeypatch.setenv(name, value)
    assert main(["verify"]) == 1
    captured = capsys.readouterr()
    assert "problem(s)" in captured.out and captured.err.count("\n") == 1


def test_index_archive_fills_in_old_archives(archived: Settings) -> None:
    count = rows(archived, "SELECT count(*) FROM captures")[0][0]
    with psycopg2.connect(archived.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM captures")
    todo = captures.unindexed_archives(archived.require_database_url())
    assert len(todo) == 1
    assert captures.index_run(archived, *todo[0]) == count  # the .cdxj in S3 is already there: kept as it is
    assert captures.unindexed_archives(archived.require_database_url()) == []


@needs_tools
def test_wacz_package_validates(archived: Settings, tmp_path: Path) -> None:
    out = tmp_path / "day.wacz"
    package = wacz.package_day(archived, "kazinform", DAY, out)
    articles = rows(archived, "SELECT count(*) FROM articles")[0][0]
    assert package.warcs == 1 and package.pages == articles and package.captures > articles
    result = subprocess.run([str(TOOLS / "wacz"), "validate", "-f", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    written = wacz.pack_closed_days(archived, date(2026, 1, 2))
    assert written == [wacz.package_key("kazinform", DAY)]
    assert wacz.pack_closed_days(archived, date(2026, 1, 2)) == []  # already packed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@needs_tools
def test_pywb_replays_the_exact_stored_html(archived: Settings, tmp_path: Path) -> None:
    url, _, _ = an_article(archived)
    capture = captures.find(archived.require_database_url(), url)
    counts = replay_archive.prepare(archived, tmp_path / "pywb")
    assert counts["kazinform"] == rows(archived, "SELECT count(*) FROM captures")[0][0]
    port = _free_port()
    process = replay_archive.serve(tmp_path / "pywb", port, replay_archive.find_wayback(str(TOOLS / "wayback")))
    try:
        address = f"http://127.0.0.1:{port}/kazinform/{capture.timestamp}id_/{url}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(address, timeout=5) as response:
                    body = response.read()
                    encoding = response.headers.get("Content-Encoding")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.5)
        if encoding == "gzip":
            body = gzip.decompress(body)
        assert body == captures.read(archived, capture).body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/kazinform/{capture.timestamp}/{url}", timeout=10) as page:
            assert page.status == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
