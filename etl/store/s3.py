"""S3 client helpers (boto3): client construction, bucket creation, write-once uploads, hashing reads.

Reads (through Settings): S3_ENDPOINT_URL, S3_BUCKET, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from etl.core.config import Settings
from etl.core.errors import PipelineError, ServiceError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredObject:
    """What was verified about an object in the bucket."""

    key: str
    size: int
    sha256: str


_ClientKey = tuple[str | None, str | None, str | None, str, int]
_clients: dict[_ClientKey, S3Client] = {}
_clients_lock = threading.Lock()


def client(settings: Settings) -> S3Client:
    """The boto3 S3 client for the configured endpoint and keys (path-style addressing, bounded retries).

    Built once per endpoint, keys and process and then reused (boto3 clients are thread-safe; building one
    costs ~15 ms, and a pipeline day asks for one a dozen times); a forked child builds its own."""
    settings.require_s3_endpoint_url()
    key = (settings.s3_endpoint_url, settings.aws_access_key_id, settings.aws_secret_access_key,
           settings.s3_region, os.getpid())
    with _clients_lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = _new_client(settings)
    return found


def _new_client(settings: Settings) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.aws_access_key_id,
        aws_secret_access_key=settings.aws_secret_access_key,
        region_name=settings.s3_region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def describe_error(exc: Exception) -> str:
    """A one-line description of a boto3/botocore failure."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', 'error')}: {err.get('Message', '')}".strip()
    if isinstance(exc, EndpointConnectionError):
        return f"cannot connect to S3 endpoint {exc.kwargs.get('endpoint_url', '')}"
    return str(exc) or type(exc).__name__


def ensure_bucket(settings: Settings) -> bool:
    """Create the bucket if it does not exist; True when it was created."""
    s3 = client(settings)
    try:
        s3.head_bucket(Bucket=settings.s3_bucket)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise ServiceError(f"S3 bucket {settings.s3_bucket!r}: {describe_error(exc)}") from None
    except (BotoCoreError, OSError) as exc:
        raise ServiceError(f"S3 at {settings.s3_endpoint_url}: {describe_error(exc)}") from None
    try:
        if settings.s3_region == "us-east-1":
            s3.create_bucket(Bucket=settings.s3_bucket)
        else:
            s3.create_bucket(Bucket=settings.s3_bucket,
                             CreateBucketConfiguration={"LocationConstraint": settings.s3_region})  # type: ignore[typeddict-item]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise ServiceError(f"cannot create S3 bucket {settings.s3_bucket!r}: {describe_error(exc)}") from None
    log.info("created bucket %s", settings.s3_bucket)
    return True


def file_sha256(path: Path) -> str:
    """Hex sha256 of a local file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def head(s3: S3Client, bucket: str, key: str) -> dict[str, Any] | None:
    """The object's metadata, or None when it does not exist."""
    try:
        return dict(s3.head_object(Bucket=bucket, Key=key))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def object_sha256(s3: S3Client, bucket: str, key: str) -> StoredObject:
    """Stream an object and return its size and sha256 (the verification after an upload or copy)."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    digest = hashlib.sha256()
    size = 0
    for block in iter(lambda: body.read(CHUNK), b""):
        digest.update(block)
        size += len(block)
    return StoredObject(key, size, digest.hexdigest())


def abort_uploads(s3: S3Client, bucket: str, key: str) -> int:
    """Abort every unfinished multipart upload of `key` (their parts take space until aborted); return the count.

    Best effort: an S3 that cannot be reached now is logged, the caller's own error is what matters.
    """
    aborted = 0
    try:
        listed = s3.list_multipart_uploads(Bucket=bucket, Prefix=key)
        for upload in listed.get("Uploads", []):
            if upload.get("Key") == key:
                s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload["UploadId"])
                aborted += 1
    except Exception as exc:
        log.warning("could not abort unfinished uploads of s3://%s/%s: %s", bucket, key, describe_error(exc))
    if aborted:
        log.info("aborted %d unfinished multipart upload(s) of s3://%s/%s", aborted, bucket, key)
    return aborted


def put_file_once(s3: S3Client, bucket: str, key: str, path: Path, sha256: str | None = None) -> StoredObject:
    """Upload `path` to `key` unless the same bytes are already there; never overwrite different bytes.

    The upload is verified by reading the object back (size and sha256) before returning. Unfinished multipart
    uploads of the key (an earlier attempt that was killed, or this one failing) are aborted.
    """
    digest = sha256 or file_sha256(path)
    size = path.stat().st_size
    existing = head(s3, bucket, key)
    if existing is not None:
        if existing.get("Metadata", {}).get("sha256") == digest and existing.get("ContentLength") == size:
            log.info("s3://%s/%s already holds these bytes; not uploading again", bucket, key)
            return StoredObject(key, size, digest)
        raise PipelineError(f"s3://{bucket}/{key} already exists with different content; refusing to overwrite")
    abort_uploads(s3, bucket, key)
    try:
        s3.upload_file(str(path), bucket, key, ExtraArgs={"Metadata": {"sha256": digest}})
    except BaseException:
        abort_uploads(s3, bucket, key)
        raise
    stored = object_sha256(s3, bucket, key)
    if stored.size != size or stored.sha256 != digest:
        raise PipelineError(
            f"verification of s3://{bucket}/{key} failed: wrote {size} bytes sha256 {digest[:12]}, "
            f"read back {stored.size} bytes sha256 {stored.sha256[:12]}"
        )
    return stored


def iter_keys(s3: S3Client, bucket: str, prefix: str) -> Iterator[str]:
    """All keys under a prefix."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]
