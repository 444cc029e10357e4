"""The archive step: verify a run's WARC in S3 (size, sha256) and record it in `raw_archives`.

Reads (through Settings): DATABASE_URL and the S3 settings.
"""

from __future__ import annotations

from typing import Any

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.store import archive, runs


def archive_run(settings: Settings, run_id: int) -> dict[str, Any]:
    """Read the run's uploaded WARC back, check it against its record and insert its `raw_archives` row."""
    database_url = settings.require_database_url()
    run = runs.get_run(database_url, run_id)
    counts = run.counts
    if "warc_key" not in counts:
        raise PipelineError(f"run {run.run_key} has no uploaded WARC; run the crawl again")
    uploaded = archive.ArchivedRun(counts["warc_key"], counts["manifest_key"], counts["warc_sha256"],
                                   int(counts["warc_size"]))
    archive.verify(settings, uploaded)
    records = archive.read_manifest(settings, uploaded.manifest_key).get("records", [])
    responses = sum(1 for r in records if r.get("warc_offset") is not None)
    runs.record_archive(database_url, run.id, uploaded.warc_key, uploaded.manifest_key, uploaded.sha256,
                        uploaded.size, len(records), responses)
    return {"run_id": run.id, "warc_key": uploaded.warc_key, "size": uploaded.size, "responses": responses}
