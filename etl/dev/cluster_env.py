"""The Airflow settings of the CeleryExecutor deployment: ONE list for docker-compose.yml and the local cluster.

`SHARED` holds the settings whose value is the same wherever the deployment runs (docker-compose.yml's
`x-airflow-common` environment sets exactly these values); `PER_PLACE` names the settings both set with a value
of their own place (service addresses, secrets, paths). tests/test_cluster_config.py fails when
docker-compose.yml or `cluster_env` drifts from these lists. `LOCAL_ONLY` are the further settings only the
local cluster sets, each with its reason.

Reads (through the Settings it is given, resolved from the running embedded services): NEWSARCHIVE_STATE_DIR,
NEWSARCHIVE_PG_PORT, NEWSARCHIVE_REDIS_PORT, NEWSARCHIVE_AIRFLOW_PORT, NEWSARCHIVE_REPLAY_PORT, and what
etl.dev.local.local_env reads.
"""

from __future__ import annotations

import json
import os
import secrets
from base64 import urlsafe_b64encode
from pathlib import Path

from etl.core.config import Settings
from etl.dev.local import REPO, local_env

#: Same value in docker-compose.yml and the local cluster.
SHARED: dict[str, str] = {
    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
    "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
    "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
    "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
}
#: Set by both, each with the value of its place (hosts, secrets, paths).
PER_PLACE: tuple[str, ...] = (
    "AIRFLOW_HOME",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY",
)
#: Only the local cluster: one machine, one network interface for everyone, replay days instead of live sites.
LOCAL_ONLY: dict[str, str] = {
    "AIRFLOW__API__HOST": "listen on 127.0.0.1 only (a container listens on its own network)",
    "AIRFLOW__API__PORT": "NEWSARCHIVE_AIRFLOW_PORT (compose maps the container's 8080)",
    "AIRFLOW__API__BASE_URL": "the UI's address on 127.0.0.1",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1 (default: every interface)",
    "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": "NEWSARCHIVE_AIRFLOW_PORT + 1 (8974 in a container)",
    "AIRFLOW__CORE__HOSTNAME_CALLABLE": "each worker's --celery-hostname as the task hostname (a container has "
                                       "its own host name)",
    "AIRFLOW__CORE__DEFAULT_TIMEZONE": "NEWSARCHIVE_TIMEZONE, as `make airflow`",
    "AIRFLOW__CORE__PARALLELISM": "4 task slots at once on a small machine, as `make airflow`",
    "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False: the replay site has three past days only",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60 s (default 300): a killed worker's tasks are "
                                                           "retried on another within a minute or two",
    "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "120 s (default 600): a task a killed worker had taken from "
                                               "the broker but not started is queued again",
}
ADMIN = SHARED["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(":")[0]
AIRFLOW_DATABASE = "airflow"  # the metadata database and its owner role, as in docker-compose.yml
SECRET_NAMES = ("airflow_db_password", "redis_password", "fernet_key", "jwt_secret", "api_secret_key",
                "admin_password")


def cluster_dir(settings: Settings) -> Path:
    """Where the local cluster keeps its Airflow home, Redis data, pid files and secrets."""
    return settings.state_dir / "cluster"


def airflow_home(settings: Settings) -> Path:
    """The cluster's AIRFLOW_HOME (logs of every component and task, the password file)."""
    return cluster_dir(settings) / "airflow"


def cluster_secrets(settings: Settings) -> dict[str, str]:
    """The cluster's passwords and keys, generated once into `cluster/secrets.json` (mode 0600)."""
    path = cluster_dir(settings) / "secrets.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        values = {name: secrets.token_hex(24) for name in SECRET_NAMES}
        values["fernet_key"] = urlsafe_b64encode(os.urandom(32)).decode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            json.dump(values, out)
    loaded = json.loads(path.read_text(encoding="ascii"))
    return {name: str(loaded[name]) for name in SECRET_NAMES}


def broker_url(settings: Settings) -> str:
    """The Celery broker: the cluster's Redis on 127.0.0.1, with its password."""
    return f"redis://:{cluster_secrets(settings)['redis_password']}@127.0.0.1:{settings.redis_port}/0"


def metadata_url(settings: Settings, driver: str = "postgresql+psycopg2") -> str:
    """The Airflow metadata database on the embedded PostgreSQL (role and database `airflow`)."""
    password = cluster_secrets(settings)["airflow_db_password"]
    return f"{driver}://{AIRFLOW_DATABASE}:{password}@127.0.0.1:{settings.pg_port}/{AIRFLOW_DATABASE}"


def worker_names(settings: Settings) -> list[str]:
    """The Celery workers' component names: w1, w2, ... (NEWSARCHIVE_CLUSTER_WORKERS)."""
    return [f"w{index}" for index in range(1, settings.cluster_workers + 1)]


def replay_url(settings: Settings) -> str:
    """The replay site the cluster's crawls are sent to (NEWSARCHIVE_REPLAY_PORT)."""
    return f"http://127.0.0.1:{settings.replay_port}"


def cluster_env(settings: Settings) -> dict[str, str]:
    """Environment of every cluster component: `make airflow`'s (services, replay site) plus the CeleryExecutor.

    The crawls wait NEWSARCHIVE_DOWNLOAD_DELAY between requests, 0.2 s when it is not set (as `make airflow`).
    """
    delay = settings.download_delay if settings.download_delay is not None else 0.2
    env = local_env(settings, replay_url(settings), download_delay=delay)
    keys = cluster_secrets(settings)
    home = airflow_home(settings)
    api = f"http://127.0.0.1:{settings.airflow_port}"
    env.update(SHARED)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__FERNET_KEY": keys["fernet_key"],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "auth" / "passwords.json"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url(settings),
        "AIRFLOW__CELERY__BROKER_URL": broker_url(settings),
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_url(settings),
        "AIRFLOW__API_AUTH__JWT_SECRET": keys["jwt_secret"],
        "AIRFLOW__API__SECRET_KEY": keys["api_secret_key"],
        "AIRFLOW__API__BASE_URL": api,
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(settings.airflow_port + 1),
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "etl.dev.cluster_hostname.celery_hostname",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",
        "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "120",
        # A killed worker's tasks must be retried (the replay wiring of local_env sets 0).
        "NEWSARCHIVE_TASK_RETRIES": str(max(settings.task_retries, 1)),
    })
    return env
