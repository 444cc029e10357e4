"""Shared fixtures: real embedded PostgreSQL + SeaweedFS for the session, isolated Airflow home, helpers."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

# Airflow reads these at import time: set them before any test module imports airflow.
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="newsarchive-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "dags")
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
# The replay site is local: no politeness pauses after its deliberate challenge page and 503s.
os.environ["NEWSARCHIVE_BLOCK_BACKOFF"] = "0"
os.environ["NEWSARCHIVE_BACKOFF"] = "0"
for _name in ("DATABASE_URL", "S3_ENDPOINT_URL", "NEWSARCHIVE_HOST_OVERRIDES", "NEWSARCHIVE_ENV_FILE"):
    os.environ.pop(_name, None)

from etl.core.config import Settings  # noqa: E402
from etl.dev.services import manager  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def embedded() -> Iterator[Settings]:
    """Real PostgreSQL and SeaweedFS started by the project's own `services up` code, fresh data per session.

    The state lives in its own temp folder, not under pytest's basetemp: a later pytest start resets that
    folder to 0700, which would lock the unprivileged embedded PostgreSQL user out of its data directory.
    """
    with manager.ephemeral("newsarchive-test-state-") as resolved:
        # The replay site is local: no politeness delay, no pauses after its deliberate challenge page and 503s.
        yield dataclasses.replace(resolved, download_delay=0.0, backoff=0.0, block_backoff=0.0)


@pytest.fixture
def settings(embedded: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Per-test settings: an empty archive schema, a fresh bucket and a private state dir."""
    from etl.store import s3
    from etl.store.db import raw_connection

    with raw_connection(embedded.require_database_url()) as conn, conn.cursor() as cur:
        cur.execute(
            "TRUNCATE article_aliases, article_versions, articles, raw_archives, crawl_runs RESTART IDENTITY CASCADE"
        )
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    per_test = dataclasses.replace(embedded, s3_bucket=bucket, state_dir=tmp_path / "state")
    s3.ensure_bucket(per_test)
    yield per_test
    _drop_bucket(embedded, bucket)


def _drop_bucket(settings: Settings, bucket: str) -> None:
    """Delete a test's bucket: SeaweedFS gives every bucket its own volumes, and a session has ~1,500 tests."""
    from etl.store import s3

    client = s3.client(settings)
    try:
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            items = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                     for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if items:
                client.delete_objects(Bucket=bucket, Delete={"Objects": items, "Quiet": True})
        for key in s3.iter_keys(client, bucket, ""):
            client.delete_object(Bucket=bucket, Key=key)
        client.delete_bucket(Bucket=bucket)
    except Exception as exc:  # a test that broke S3 on purpose, or removed its bucket itself
        warnings.warn(f"could not delete test bucket {bucket}: {exc}", stacklevel=1)
