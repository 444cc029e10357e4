"""Local (embedded) runs: the environment that wires Airflow and Scrapy subprocesses to the embedded services
and the replay site, and the Airflow home under the state directory.

Reads (through the Settings it is given, resolved from the running embedded services): NEWSARCHIVE_STATE_DIR,
DATABASE_URL, S3_* and AWS_*, NEWSARCHIVE_TIMEZONE; NEWSARCHIVE_HOST_OVERRIDES is replaced by the replay site's
address when one is given. Child processes read everything else from the environment they inherit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.dev.services.manager import service_env
from etl.sources import SOURCES

REPO = Path(__file__).resolve().parents[2]


def replay_overrides(replay_url: str, hosts: Iterable[str] | None = None) -> str:
    """`NEWSARCHIVE_HOST_OVERRIDES` mapping every source host (or `hosts`) to one replay server."""
    names = list(hosts) if hosts is not None else [h for s in SOURCES.values() for h in s.hosts]
    return ",".join(f"{host}={replay_url}" for host in names)


def airflow_home(settings: Settings) -> Path:
    """Where the local Airflow (SQLite metadata, logs) lives."""
    return settings.state_dir / "airflow"


def local_env(settings: Settings, replay_url: str | None = None, *, download_delay: float | None = None) -> dict[str, str]:
    """Environment for child processes: the resolved service URLs, the replay overrides and Airflow's home.

    The children (Airflow, its DAG tasks) read only `load_settings()`: the service URLs the embedded servers
    were resolved to are written out here, so nothing downstream looks at pid files.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(service_env(settings))
    values = {
        "NEWSARCHIVE_STATE_DIR": str(settings.state_dir),
        "NEWSARCHIVE_TIMEZONE": settings.timezone.key,
        "NEWSARCHIVE_HOST_OVERRIDES": replay_overrides(replay_url) if replay_url else None,
        "NEWSARCHIVE_DOWNLOAD_DELAY": None if download_delay is None else str(download_delay),
        # The replay site is local: no pause after its deliberate challenge page.
        "NEWSARCHIVE_BLOCK_BACKOFF": "0" if replay_url else None,
        "NEWSARCHIVE_TASK_RETRIES": "0" if replay_url else None,
        "AIRFLOW_HOME": str(airflow_home(settings)),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": "8080",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": settings.timezone.key,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        # Airflow standalone starts its components as `airflow ...` found on PATH.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    env.update({k: v for k, v in values.items() if v is not None})
    return env


def airflow(args: list[str], env: dict[str, str], *, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """Run the `airflow` CLI of this Python environment; raise a one-line error on failure."""
    command = [str(Path(sys.executable).parent / "airflow"), *args]
    try:
        result = subprocess.run(command, env=env, cwd=REPO, text=True, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PipelineError(f"`airflow {' '.join(args)}` did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise PipelineError(f"`airflow {' '.join(args)}` failed (exit {result.returncode}):\n" + "\n".join(tail))
    return result


def init_airflow(settings: Settings, env: dict[str, str]) -> None:
    """Migrate the local Airflow metadata database and create the crawl pool (crawl_pool, crawl_pool_slots)."""
    airflow(["db", "migrate"], env, timeout=300)  # the crawl tasks' pool must exist before they are scheduled
    airflow(["pools", "set", settings.crawl_pool, str(settings.crawl_pool_slots), "crawls of news sites at once"], env)
