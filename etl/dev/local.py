"""Local (embedded) runs: the environment that wires Airflow and Scrapy subprocesses to the embedded services
and the replay site, the Airflow home under the state directory and its metadata database.

Reads (through the Settings it is given, resolved from the running embedded services): NEWSARCHIVE_STATE_DIR,
DATABASE_URL, S3_* and AWS_*, NEWSARCHIVE_TIMEZONE, NEWSARCHIVE_AIRFLOW_PORT; NEWSARCHIVE_HOST_OVERRIDES is replaced by the replay site's
address when one is given. Child processes read everything else from the environment they inherit.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from etl.core.config import Settings
from etl.dev.services.manager import service_env, status
from etl.sources import SOURCES
from etl.steps.airflow_runs import DAILY_DAG_ID, airflow

REPO = Path(__file__).resolve().parents[2]


def replay_overrides(replay_url: str, hosts: Iterable[str] | None = None) -> str:
    """`NEWSARCHIVE_HOST_OVERRIDES` mapping every source host (or `hosts`) to one replay server."""
    names = list(hosts) if hosts is not None else [h for s in SOURCES.values() for h in s.hosts]
    return ",".join(f"{host}={replay_url}" for host in names)


def airflow_home(settings: Settings) -> Path:
    """Where the local Airflow (SQLite metadata, logs) lives."""
    return settings.state_dir / "airflow"


def airflow_database_url(settings: Settings) -> str:
    """The local Airflow's SQLite metadata database, waiting up to a minute for another process's write lock.

    The scheduler writes often; without the wait, a backfill created meanwhile fails with "database is locked".
    """
    return f"sqlite:///{airflow_home(settings) / 'airflow.db'}?timeout=60"


def use_write_ahead_log(settings: Settings) -> None:
    """Switch the SQLite metadata database to write-ahead logging (kept in the file): readers stop blocking writers."""
    import sqlite3

    conn = sqlite3.connect(airflow_home(settings) / "airflow.db", timeout=60)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


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
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_database_url(settings),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        # The API server (UI, and the execution API the tasks report to) on 127.0.0.1 only; the scheduler and
        # triggerer are started without their log servers (which would listen on every interface): the tasks'
        # logs are files under AIRFLOW_HOME, read by the API server directly.
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(settings.airflow_port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{settings.airflow_port}",
        # The replay site holds three past days: no scheduled runs of "yesterday", and DAGs start unpaused so
        # the runs created with `newsarchive airflow run` are scheduled.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False" if replay_url else None,
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False" if replay_url else None,
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": settings.timezone.key,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        # Airflow standalone starts its components as `airflow ...` found on PATH.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    }
    env.update({k: v for k, v in values.items() if v is not None})
    return env


def init_airflow(settings: Settings, env: dict[str, str]) -> None:
    """Migrate the local Airflow metadata database and create the crawl pool (crawl_pool, crawl_pool_slots)."""
    airflow(["db", "migrate"], env, timeout=300)  # the crawl tasks' pool must exist before they are scheduled
    if env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "").startswith("sqlite:"):
        use_write_ahead_log(settings)
    airflow(["pools", "set", settings.crawl_pool, str(settings.crawl_pool_slots), "crawls of news sites at once"], env)


def init_scheduler(settings: Settings, env: dict[str, str]) -> None:
    """`init_airflow`, then the DAGs serialized and `news_daily` unpaused, so runs can be created at once."""
    init_airflow(settings, env)
    airflow(["dags", "reserialize"], env, timeout=300)
    airflow(["dags", "unpause", DAILY_DAG_ID], env)


def local_airflow_env(settings: Settings) -> dict[str, str] | None:
    """The local Airflow's environment when `settings` point at the embedded PostgreSQL; None otherwise."""
    if not (airflow_home(settings) / "airflow.cfg").is_file():
        return None
    embedded = [item for item in status(dataclasses.replace(settings, database_url=None, s3_endpoint_url=None))
                if item.name == "postgres" and item.mode == "embedded"]
    if not embedded or embedded[0].url != settings.database_url:
        return None
    return local_env(settings)
