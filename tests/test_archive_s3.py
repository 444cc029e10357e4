"""S3 archive on the real embedded SeaweedFS: write-once uploads, verification, range reads, clear errors."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.store import archive, s3

pytestmark = pytest.mark.integration


def _warc(path: Path, pages: dict[str, str]) -> list[int]:
    offsets = []
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, html in pages.items():
            offsets.append(out.tell())
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()),
                                                        http_headers=headers))
    return offsets


def test_upload_verify_and_read_back(settings: Settings, tmp_path: Path) -> None:
    warc, manifest = tmp_path / "r.warc.gz", tmp_path / "r.manifest.json"
    offsets = _warc(warc, {"https://kaz.inform.kz/news/a-aaaaaa/": "<p>бір</p>",
                           "https://kaz.inform.kz/news/b-bbbbbb/": "<p>екі</p>"})
    manifest.write_text("{}")
    stored = archive.upload_run(settings, warc, manifest, "kazinform", date(2026, 1, 1), "run1")
    assert stored.warc_key == "raw/source=kazinform/date=2026-01-01/run1.warc.gz"
    archive.verify(settings, stored)
    # Same bytes again: accepted without rewriting; different bytes under the same key: refused.
    assert archive.upload_run(settings, warc, manifest, "kazinform", date(2026, 1, 1), "run1") == stored
    other = tmp_path / "other.warc.gz"
    _warc(other, {"https://kaz.inform.kz/news/c-cccccc/": "<p>үш</p>"})
    with pytest.raises(PipelineError, match="refusing to overwrite"):
        archive.upload_run(settings, other, manifest, "kazinform", date(2026, 1, 1), "run1")
    records = list(archive.iter_responses(settings, stored.warc_key))
    assert [r.offset for r in records] == offsets
    assert [r.body for r in records] == ["<p>бір</p>".encode(), "<p>екі</p>".encode()]
    second = archive.read_response_at(settings, stored.warc_key, offsets[1])
    assert second.url.endswith("b-bbbbbb/") and second.body == "<p>екі</p>".encode()


def test_verify_detects_tampering(settings: Settings, tmp_path: Path) -> None:
    warc = tmp_path / "r.warc.gz"
    _warc(warc, {"https://kaz.inform.kz/news/a-aaaaaa/": "<p>бір</p>"})
    stored = archive.upload_run(settings, warc, warc, "kazinform", date(2026, 1, 2), "run2")
    s3.client(settings).put_object(Bucket=settings.s3_bucket, Key=stored.warc_key, Body=b"tampered")
    with pytest.raises(PipelineError, match="does not match its record"):
        archive.verify(settings, stored)


def test_unreachable_s3_is_a_clear_pipeline_error(settings: Settings, tmp_path: Path) -> None:
    down = dataclasses.replace(settings, s3_endpoint_url="http://127.0.0.1:9")
    warc = tmp_path / "r.warc.gz"
    _warc(warc, {"https://kaz.inform.kz/news/a-aaaaaa/": "<p>бір</p>"})
    with pytest.raises(PipelineError, match="archiving r.warc.gz to S3 failed"):
        archive.upload_run(down, warc, warc, "kazinform", date(2026, 1, 1), "run3")
