"""`newsarchive cluster up|down|status`: docker-compose.yml's CeleryExecutor topology as local processes on
127.0.0.1 (etl.dev.cluster): embedded PostgreSQL (archive + Airflow metadata), Redis, embedded S3, the replay
site, Airflow's API server, DAG processor, triggerer, scheduler and NEWSARCHIVE_CLUSTER_WORKERS Celery workers.

Reads (through Settings): NEWSARCHIVE_STATE_DIR, NEWSARCHIVE_AIRFLOW_PORT, NEWSARCHIVE_REDIS_PORT,
NEWSARCHIVE_REPLAY_PORT, NEWSARCHIVE_CLUSTER_WORKERS and the embedded services' settings.
"""

from __future__ import annotations

import argparse
import sys

from etl.core.config import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `cluster` subcommand."""
    parser = sub.add_parser(
        "cluster", help="start/stop/report the local CeleryExecutor cluster (docker-compose's topology)",
        description="up: embedded PostgreSQL (archive and Airflow metadata), Redis (Celery broker, Debian's "
        "redis-server), embedded S3, the replay site, the Airflow API server, DAG processor, triggerer, "
        "scheduler and NEWSARCHIVE_CLUSTER_WORKERS Celery workers, all on 127.0.0.1, with the settings of "
        "docker-compose.yml; down: stop them in reverse order; status: what runs.",
    )
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.set_defaults(handler=cmd_cluster)


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def cmd_cluster(args: argparse.Namespace, settings: Settings) -> int:
    """cluster up|down|status."""
    from etl.dev import cluster
    from etl.dev.cluster_env import ADMIN, cluster_secrets, worker_names

    if args.action == "up":
        resolved = cluster.up(settings)
        state = settings.state_dir
        _out(f"cluster up: Airflow UI http://127.0.0.1:{resolved.airflow_port}  login: {ADMIN} / "
             f"{cluster_secrets(resolved)['admin_password']}")
        _out(f"CeleryExecutor, workers {', '.join(worker_names(resolved))}, Redis 127.0.0.1:{resolved.redis_port}, "
             f"replay site http://127.0.0.1:{resolved.replay_port}")
        _out(f"run the replay days: NEWSARCHIVE_STATE_DIR={state} .venv/bin/newsarchive airflow run "
             "--day 2025-12-31 --to 2026-01-02 --wait")
        _out(f"stop: NEWSARCHIVE_STATE_DIR={state} .venv/bin/newsarchive cluster down")
        return 0
    if args.action == "down":
        stopped = cluster.down(settings)
        _out(f"stopped: {', '.join(stopped)}" if stopped else "no cluster process of ours was running")
        return 0
    items = cluster.status(settings)
    if not items:
        _out("the cluster is not running")
    for item in items:
        ports = ",".join(str(p) for p in item.ports) or "-"
        _out(f"{item.name:14} {'running' if item.running else 'stopped':8} pid {item.pid}  ports {ports}")
    return 0 if items and all(item.running for item in items) else 1
