"""The embedded PostgreSQL lets nobody in without a password and runs as an unprivileged user and group: another
local user is refused (as the superuser and as the reader) and cannot read the password file."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import psutil
import psycopg2
import pytest

from etl.core.config import Settings
from etl.dev.services import postgres
from etl.dev.services.procs import free_port_block, read_pid
from etl.read.query import run_query

pytestmark = pytest.mark.integration
OTHER_USER = "newsarchive_other"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")


def _postmaster(embedded: Settings) -> psutil.Process:
    record = read_pid(embedded.state_dir / "run" / "postgres.pid")
    assert record is not None
    process = record.process()
    assert process is not None
    return process


@pytest.fixture(scope="module")
def other_user() -> str:
    if subprocess.run(["id", OTHER_USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER_USER], check=True)
    return OTHER_USER


def test_passwords_live_in_a_private_file_named_by_database_url(embedded: Settings) -> None:
    passfile = embedded.state_dir / "postgres" / postgres.PASSFILE
    assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
    url = embedded.require_database_url()
    assert url.endswith(f"?passfile={passfile}") and "@" in url and ":" not in url.split("@")[0].split("//")[1]
    assert {line.split(":")[3] for line in passfile.read_text().splitlines()} == {"postgres", "newsarchive_reader"}
    assert run_query(url, "SELECT current_user").rows == [("newsarchive_reader",)]  # the reader's own password


@as_root
def test_the_server_runs_as_an_unprivileged_user_and_group(embedded: Settings) -> None:
    server = _postmaster(embedded)
    for process in (server, *server.children()):
        assert set(process.uids()) != {0} and 0 not in process.uids()
        assert 0 not in process.gids(), f"{process.name()} runs with root's group"


@as_root
@pytest.mark.parametrize("role", ["postgres", "newsarchive_reader"])
def test_another_local_user_is_refused(embedded: Settings, other_user: str, role: str) -> None:
    psql = postgres._bin("psql")
    command = [psql, "-w", "-h", "127.0.0.1", "-p", str(embedded.pg_port), "-U", role, "-d", "newsarchive",
               "-c", "COPY (SELECT 1) TO PROGRAM 'id'"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    refused = subprocess.run(["runuser", "-u", other_user, "--", *command], capture_output=True, text=True,
                             env=env, timeout=60)
    assert refused.returncode != 0
    assert "password" in refused.stderr, refused.stderr
    passfile = embedded.state_dir / "postgres" / postgres.PASSFILE
    peek = subprocess.run(["runuser", "-u", other_user, "--", "cat", str(passfile)], capture_output=True, text=True,
                          env=env, timeout=60)
    assert peek.returncode != 0 and "Permission denied" in peek.stderr
    # The same command with the password file works: the refusal above is the password, not the network.
    allowed = subprocess.run([*command[:-2], "-c", "SELECT 1"], capture_output=True, text=True, timeout=60,
                             env={**env, "PGPASSFILE": str(passfile)})
    assert allowed.returncode == 0, allowed.stderr


def test_a_data_dir_that_trusted_everyone_gets_passwords_on_start() -> None:
    """A state made before passwords were required (trust rules, no pgpass) is switched over by the next start."""
    base = Path(tempfile.mkdtemp(prefix="newsarchive-old-pg-"))
    port = free_port_block(1, start=18000, stop=20000)
    logfile = base / "postgres.log"
    try:
        postgres.start(base, port, logfile)
        with psycopg2.connect(postgres.database_url(port, base)) as conn, conn.cursor() as cur:
            cur.execute("ALTER ROLE postgres PASSWORD NULL")  # as the old init left it
        conn.close()
        hba = base / "data" / "pg_hba.conf"
        hba.write_text("host all all 127.0.0.1/32 trust\n", encoding="utf-8")
        (base / postgres.PASSFILE).unlink()
        postgres.stop(base)

        postgres.start(base, port, logfile)
        assert "trust" not in hba.read_text(encoding="utf-8")
        with pytest.raises(psycopg2.OperationalError, match="password"):
            psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", passfile="/dev/null")
        psycopg2.connect(postgres.database_url(port, base)).close()  # the new password, from the new pgpass
    finally:
        postgres.stop(base)
        shutil.rmtree(base, ignore_errors=True)
