"""The local cluster's Celery broker: Debian's `redis-server` on 127.0.0.1, password required, append-only file.

Reads (through Settings): NEWSARCHIVE_STATE_DIR (data, config and log under `cluster/redis/`),
NEWSARCHIVE_REDIS_PORT. The password comes from the cluster's secrets (etl.dev.cluster_env).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

from etl.core.config import Settings
from etl.core.errors import ServiceError
from etl.dev.cluster_env import broker_url, cluster_dir, cluster_secrets
from etl.dev.services.procs import PidRecord, require_free_ports, wait_until

log = logging.getLogger(__name__)

INSTALL_HINT = "sudo apt-get install -y redis-server"
START_TIMEOUT = 30


def redis_binary() -> str:
    """The `redis-server` on PATH, or a one-line error saying how to install it."""
    found = shutil.which("redis-server")
    if found is None:
        raise ServiceError(f"redis-server (the Celery broker of the local cluster) is not installed: {INSTALL_HINT}")
    return found


def start(settings: Settings) -> PidRecord:
    """Start Redis on 127.0.0.1:NEWSARCHIVE_REDIS_PORT and wait until it answers PING with the password."""
    binary = redis_binary()
    require_free_ports("Redis", [settings.redis_port])
    base = cluster_dir(settings) / "redis"
    base.mkdir(parents=True, exist_ok=True)
    conf = base / "redis.conf"  # the password stays off the command line
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(f"bind 127.0.0.1\nport {settings.redis_port}\nprotected-mode yes\ndaemonize no\n"
                  f"dir {base}\nappendonly yes\nsave \"\"\n"
                  f"requirepass {cluster_secrets(settings)['redis_password']}\n")
    with (base / "redis.log").open("ab") as logfile:
        proc = subprocess.Popen([binary, str(conf)], stdout=logfile, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    wait_until(lambda: _ping(settings, proc), START_TIMEOUT, "Redis")
    log.info("Redis running on 127.0.0.1:%s (pid %s)", settings.redis_port, proc.pid)
    return PidRecord.of("redis", proc.pid, (settings.redis_port,), f"redis://127.0.0.1:{settings.redis_port}/0")


def _ping(settings: Settings, proc: subprocess.Popen[bytes]) -> bool:
    import redis

    if proc.poll() is not None:
        raise ServiceError(f"redis-server exited with status {proc.returncode}: see "
                           f"{cluster_dir(settings) / 'redis' / 'redis.log'}")
    client = redis.Redis.from_url(broker_url(settings), socket_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()
