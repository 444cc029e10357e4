"""`newsarchive cluster up|down|status` (`make cluster`): docker-compose.yml's topology as local processes.

The embedded PostgreSQL serves the archive and, as role and database `airflow`, the Airflow metadata; Redis
(etl.dev.cluster_redis) is the Celery broker; the embedded SeaweedFS is the S3; the replay site answers the
crawls; Airflow's API server, DAG processor, triggerer and scheduler run as `make airflow` starts them
(etl.dev.local_airflow), with NEWSARCHIVE_CLUSTER_WORKERS Celery workers after them, each its own process
group and `--celery-hostname`. Every listener is on 127.0.0.1. Like compose's `airflow-init`, `up` migrates
the metadata database, creates the crawl pool and writes the admin password. The processes are recorded in
pid files under `cluster/run/`, so `down` (another process) stops them in reverse start order, SIGTERM first.

Reads (through Settings): NEWSARCHIVE_STATE_DIR, NEWSARCHIVE_AIRFLOW_PORT, NEWSARCHIVE_REDIS_PORT,
NEWSARCHIVE_REPLAY_PORT, NEWSARCHIVE_CLUSTER_WORKERS, NEWSARCHIVE_CRAWL_POOL, NEWSARCHIVE_CRAWL_POOL_SLOTS, and
what etl.dev.services.manager reads (the embedded services).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg2
from psycopg2 import sql

from etl.core.config import Settings
from etl.core.errors import ServiceError, UserError
from etl.dev import cluster_redis
from etl.dev.cluster_env import (
    ADMIN,
    AIRFLOW_DATABASE,
    airflow_home,
    cluster_dir,
    cluster_env,
    cluster_secrets,
    replay_url,
    worker_names,
)
from etl.dev.local import init_scheduler
from etl.dev.local_airflow import COMPONENTS, STOP_TIMEOUT, LocalAirflow
from etl.dev.services import manager
from etl.dev.services.procs import PidRecord, port_in_use, read_pid, stop_process, wait_until, write_pid

log = logging.getLogger(__name__)

STARTED_SERVICES = "services.json"  # the embedded services `up` started (and `down` therefore stops)


@dataclass(frozen=True)
class Component:
    """One recorded process of the cluster as `status` reports it."""

    name: str
    pid: int | None
    ports: tuple[int, ...]
    running: bool


def run_dir(settings: Settings) -> Path:
    """The cluster's pid files."""
    return cluster_dir(settings) / "run"


def start_order(settings: Settings) -> list[str]:
    """Every process the cluster starts itself, in start order (stopped in reverse)."""
    return ["redis", "replay-site", *COMPONENTS, *worker_names(settings)]


def worker_args(name: str) -> list[str]:
    """`airflow celery worker` for one worker: its own Celery hostname, no log server (logs are local files)."""
    return ["celery", "worker", "--celery-hostname", f"{name}@{socket.gethostname()}", "--skip-serve-logs"]


def status(settings: Settings) -> list[Component]:
    """Each recorded cluster process: pid, ports, and whether it still runs."""
    found = []
    for name in start_order(settings):
        record = read_pid(run_dir(settings) / f"{name}.pid")
        if record is not None:
            found.append(Component(name, record.pid, record.ports, record.process() is not None))
    return found


def up(settings: Settings) -> Settings:
    """Start the whole cluster and wait until the API server answers; return the resolved settings."""
    if settings.database_url or settings.s3_endpoint_url:
        raise UserError("the local cluster runs on the embedded PostgreSQL and S3: unset DATABASE_URL and "
                        "S3_ENDPOINT_URL (docker-compose.yml is the deployment on your own servers)")
    if any(item.running for item in status(settings)):
        raise UserError("the cluster is already running (`newsarchive cluster status`; stop it with "
                        "`newsarchive cluster down`)")
    cluster_redis.redis_binary()  # the one-line install hint before anything starts
    runs = run_dir(settings)
    runs.mkdir(parents=True, exist_ok=True)
    started = [item.name for item in manager.status(settings) if item.mode == "stopped"]
    (runs / STARTED_SERVICES).write_text(json.dumps(started), encoding="utf-8")
    try:
        resolved = manager.up(settings)
        ensure_metadata_database(resolved)
        write_pid(runs / "redis.pid", cluster_redis.start(resolved))
        write_pid(runs / "replay-site.pid", start_replay_site(resolved))
        env = cluster_env(resolved)
        init_scheduler(resolved, env)  # airflow db migrate, the crawl pool, DAGs serialized, news_daily unpaused
        write_admin_password(resolved)
        airflow = LocalAirflow(env, extra={name: worker_args(name) for name in worker_names(resolved)})
        try:
            airflow.start()
        finally:  # recorded also when start-up failed, so that `down` below stops them
            for name, proc in airflow.procs.items():
                ports = {"api-server": (resolved.airflow_port,), "scheduler": (resolved.airflow_port + 1,)}
                write_pid(runs / f"{name}.pid", _record(name, proc.pid, ports.get(name, ()),
                                                        airflow.url if name == "api-server" else ""))
    except BaseException:
        down(settings)
        raise
    return resolved


def _record(name: str, pid: int, ports: tuple[int, ...], url: str) -> PidRecord:
    try:
        return PidRecord.of(name, pid, ports, url)
    except psutil.Error:  # exited already: a record that never matches a live process
        return PidRecord(name, pid, -1.0, ports, url)


def down(settings: Settings) -> list[str]:
    """Stop every recorded cluster process in reverse start order, then the embedded services `up` started."""
    runs = run_dir(settings)
    stopped = []
    for name in reversed(start_order(settings)):
        pid_file = runs / f"{name}.pid"
        record = read_pid(pid_file)
        if record is None:
            continue
        if stop_process(record, timeout=STOP_TIMEOUT):
            stopped.append(name)
        pid_file.unlink(missing_ok=True)
    started_file = runs / STARTED_SERVICES
    if started_file.exists():
        if json.loads(started_file.read_text(encoding="utf-8")):
            stopped += manager.down(settings)
        started_file.unlink()
    return stopped


def kill_worker(settings: Settings, name: str) -> int:
    """SIGKILL a worker's process group and every process under it (a lost machine); return how many died."""
    record = read_pid(run_dir(settings) / f"{name}.pid")
    proc = record.process() if record else None
    if proc is None:
        raise UserError(f"worker {name} is not running")
    victims = [proc, *proc.children(recursive=True)]
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for victim in victims:
        try:
            victim.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(victims, timeout=30)
    return len(victims)


def ensure_metadata_database(settings: Settings) -> None:
    """Role and database `airflow` on the embedded PostgreSQL (as compose's init script), password from secrets."""
    password = cluster_secrets(settings)["airflow_db_password"]
    role = sql.Identifier(AIRFLOW_DATABASE)
    conn = psycopg2.connect(settings.require_database_url(), connect_timeout=10)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (AIRFLOW_DATABASE,))
            verb = "ALTER" if cur.fetchone() else "CREATE"
            cur.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD %s").format(role), (password,))
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (AIRFLOW_DATABASE,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0")
                            .format(role, role))
                cur.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(role))
                log.info("created the Airflow metadata database %s", AIRFLOW_DATABASE)
    finally:
        conn.close()


def start_replay_site(settings: Settings) -> PidRecord:
    """`newsarchive replay-site` on NEWSARCHIVE_REPLAY_PORT in its own process group."""
    log_path = cluster_dir(settings) / "replay-site.log"
    command = [str(Path(sys.executable).parent / "newsarchive"), "replay-site", "--port", str(settings.replay_port)]
    if port_in_use(settings.replay_port):
        raise ServiceError(f"cannot start the replay site: port {settings.replay_port} on 127.0.0.1 is already in "
                           "use (NEWSARCHIVE_REPLAY_PORT)")
    with log_path.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)

    def answering() -> bool:
        if proc.poll() is not None:
            raise ServiceError(f"the replay site exited with status {proc.returncode}: see {log_path}")
        return port_in_use(settings.replay_port)

    wait_until(answering, 30, "the replay site")
    return _record("replay-site", proc.pid, (settings.replay_port,), replay_url(settings))


def write_admin_password(settings: Settings) -> Path:
    """The simple auth manager's password file (0600), as compose's `airflow-init` writes it."""
    path = airflow_home(settings) / "auth" / "passwords.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({ADMIN: cluster_secrets(settings)["admin_password"]}, out)
    return path


def ports_in_use(settings: Settings) -> list[int]:
    """The cluster's ports that something still listens on (after `down`: none)."""
    ports = [settings.pg_port, settings.s3_port, settings.redis_port, settings.replay_port, settings.airflow_port,
             settings.airflow_port + 1]
    return [port for port in ports if port_in_use(port)]


def wait_for_workers(settings: Settings, timeout: float = 120) -> None:
    """Wait until every worker has logged that it is ready to take tasks."""
    home = airflow_home(settings)

    def ready() -> bool:
        return all(b"ready." in (home / "logs" / f"{name}.log").read_bytes() for name in worker_names(settings))

    wait_until(ready, timeout, "the Celery workers", interval=1)
