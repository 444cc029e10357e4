"""The embedded SeaweedFS serves objects through the S3 API with credentials only: every other port its process
listens on (master, volume, filer, admin, and all gRPC ports) refuses anonymous reads, writes and deletes."""

from __future__ import annotations

import http.client
import stat

import grpc
import psutil
import pytest

from etl.core.config import Settings
from etl.dev.services.procs import read_pid
from etl.store import s3

pytestmark = pytest.mark.integration
KEY = "raw/source=kazinform/date=2026-01-01/run.warc.gz"
BODY = b"WARC/1.1 write-once record"
#: Object paths as the filer, the S3 API and the master/volume HTTP APIs name them, plus master admin calls.
PATHS = ["/buckets/{bucket}/" + KEY, "/{bucket}/" + KEY, "/col/delete?collection={bucket}", "/dir/assign",
         "/vol/vacuum", "/dir/lookup?volumeId=1", "/1,01637037d6"]
GRPC_CALLS = ["/filer_pb.SeaweedFiler/ListEntries", "/filer_pb.SeaweedFiler/DeleteEntry",
              "/master_pb.Seaweed/CollectionDelete", "/volume_server_pb.VolumeServer/VolumeDelete"]


def _listening_ports(settings: Settings) -> set[int]:
    record = read_pid(settings.state_dir / "run" / "seaweedfs.pid")
    assert record is not None and (process := record.process()) is not None
    ports: set[int] = set()
    for proc in (process, *process.children(recursive=True)):
        ports |= {c.laddr.port for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    return ports


def _http(port: int, method: str, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=b"overwritten" if method in ("PUT", "POST") else None)
        response = conn.getresponse()
        return response.status, response.read()
    except (ConnectionError, http.client.HTTPException):
        return 0, b""  # a gRPC port hangs up on HTTP/1.1
    finally:
        conn.close()


def test_only_the_s3_api_serves_objects(embedded: Settings, settings: Settings) -> None:
    client = s3.client(settings)
    client.put_object(Bucket=settings.s3_bucket, Key=KEY, Body=BODY)
    s3_port = settings.s3_port
    others = _listening_ports(embedded) - {s3_port}
    assert s3_port in _listening_ports(embedded) and len(others) >= 8  # master, volume, filer, admin + gRPC
    for port in sorted(others):
        for path in PATHS:
            for method in ("GET", "PUT", "POST", "DELETE"):
                status, body = _http(port, method, path.format(bucket=settings.s3_bucket))
                assert not (200 <= status < 300 and method != "GET"), (port, method, path, status, body[:200])
                assert BODY not in body and not (status in (200, 201, 204) and path.startswith("/col")), (
                    port, method, path, status)
        for call in GRPC_CALLS:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel, pytest.raises(grpc.RpcError) as caught:
                channel.unary_unary(call)(b"", timeout=10)
            assert caught.value.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNIMPLEMENTED,
                                           grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (port, call)
    anonymous = http.client.HTTPConnection("127.0.0.1", s3_port, timeout=10)
    anonymous.request("GET", f"/{settings.s3_bucket}/{KEY}")
    assert anonymous.getresponse().status == 403  # the S3 API itself wants the keys
    anonymous.close()
    assert client.get_object(Bucket=settings.s3_bucket, Key=KEY)["Body"].read() == BODY  # untouched


def test_seaweedfs_credentials_are_private(embedded: Settings) -> None:
    folder = embedded.state_dir / "s3" / "security"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (*folder.iterdir(), embedded.state_dir / "s3" / "security.toml"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
