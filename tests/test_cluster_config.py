"""One list of settings for the CeleryExecutor deployment (etl/dev/cluster_env.py): docker-compose.yml and the
local cluster (`make cluster`) are checked against it, so either drifting fails here. Also the pieces of the
local cluster that need no running server: worker hostnames, the Redis install hint, the metadata URL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from etl.core.config import Settings, load_settings
from etl.core.errors import ServiceError
from etl.dev import cluster_env
from tests.test_deployment_files import COMPOSE_FILE, SAMPLE_ENV, interpolate

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose_airflow_env() -> dict[str, str]:
    """docker-compose.yml's Airflow environment (x-airflow-common) without the archive settings, interpolated
    with an operator's .env that sets only the required secrets (so every optional value is its default)."""
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    archive = set(data["x-newsarchive-env"])
    return {name: interpolate(str(value), SAMPLE_ENV) for name, value in data["x-airflow-common"]["environment"].items()
            if name not in archive}


@pytest.fixture
def local(tmp_path: Path) -> Settings:
    return load_settings({"NEWSARCHIVE_STATE_DIR": str(tmp_path / "state"), "NEWSARCHIVE_PG_PORT": "31000",
                          "NEWSARCHIVE_REDIS_PORT": "31001", "NEWSARCHIVE_AIRFLOW_PORT": "31002"})


def test_compose_sets_exactly_the_shared_list(compose_airflow_env: dict[str, str]) -> None:
    assert set(compose_airflow_env) == set(cluster_env.SHARED) | set(cluster_env.PER_PLACE)
    assert {name: compose_airflow_env[name] for name in cluster_env.SHARED} == cluster_env.SHARED


def test_the_local_cluster_sets_the_shared_list_and_only_documented_extras(local: Settings) -> None:
    env = cluster_env.cluster_env(local)
    assert {name: env[name] for name in cluster_env.SHARED} == cluster_env.SHARED
    assert all(env[name] for name in cluster_env.PER_PLACE)
    airflow = {name for name in env if name.startswith("AIRFLOW__") or name == "AIRFLOW_HOME"}
    assert airflow == set(cluster_env.SHARED) | set(cluster_env.PER_PLACE) | set(cluster_env.LOCAL_ONLY)
    assert not set(cluster_env.LOCAL_ONLY) & (set(cluster_env.SHARED) | set(cluster_env.PER_PLACE))


def test_the_local_cluster_points_at_its_own_services_on_loopback(local: Settings) -> None:
    env = cluster_env.cluster_env(local)
    assert env["AIRFLOW__CELERY__BROKER_URL"].endswith("@127.0.0.1:31001/0")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@127.0.0.1:31000/airflow")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+" + env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:31002/execution/"
    assert env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST"] == "127.0.0.1"
    assert int(env["NEWSARCHIVE_TASK_RETRIES"]) >= 1  # a killed worker's tasks are retried
    secrets_file = cluster_env.cluster_dir(local) / "secrets.json"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    assert cluster_env.cluster_env(local) == env  # generated once, then read


def test_a_task_gets_its_workers_celery_hostname() -> None:
    """The task runs under the worker process (whose title Celery rewrites): the hostname is the worker's name."""
    title = "[celeryd: w7@box:MainProcess] -active- (celery worker --celery-hostname w7@box --skip-serve-logs)"
    code = (f"import subprocess, sys; sys.exit(subprocess.run([{sys.executable!r}, '-c', "
            "'from etl.dev.cluster_hostname import celery_hostname; print(celery_hostname())']).returncode)")
    out = subprocess.run(["bash", "-c", f'exec -a "{title}" {sys.executable} -c "{code}"'], capture_output=True,
                         text=True, cwd=REPO, timeout=120)
    assert out.stdout.strip().splitlines()[-1:] == ["w7@box"], out.stderr[-2000:]


def test_a_process_outside_a_worker_gets_the_machine_name() -> None:
    from airflow.utils.net import getfqdn

    from etl.dev.cluster_hostname import celery_hostname

    assert celery_hostname() == getfqdn()


def test_a_missing_redis_server_is_one_line_saying_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from etl.dev import cluster_redis

    monkeypatch.setattr(cluster_redis.shutil, "which", lambda name: None)
    with pytest.raises(ServiceError, match=r"^redis-server .* not installed: sudo apt-get install -y redis-server$"):
        cluster_redis.redis_binary()


def test_cluster_up_refuses_external_services(local: Settings) -> None:
    import dataclasses

    from etl.core.errors import UserError
    from etl.dev import cluster

    external: Any = dataclasses.replace(local, database_url="postgresql://db.example/newsarchive")
    with pytest.raises(UserError, match="unset DATABASE_URL"):
        cluster.up(external)
