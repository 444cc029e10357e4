"""Airflow's `hostname_callable` for the local cluster: a task's hostname is its Celery worker's name.

In docker-compose every worker is a container with its own host name; on one machine all workers share it, so
the task instance table could not tell them apart. Reads no settings: the name is the `--celery-hostname`
argument of the worker process the task runs under (an ancestor of the task's process).
"""

from __future__ import annotations

import re

import psutil
from airflow.utils.net import getfqdn

# Celery rewrites its processes' titles (`[celeryd: w1@host:MainProcess] -active- (celery worker
# --celery-hostname w1@host ...)`), so the argument is searched for in the joined command line.
_FLAG_RE = re.compile(r"--celery-hostname[= ]([^\s)]+)")


def celery_hostname() -> str:
    """The `--celery-hostname` of the Celery worker above this process, else the machine's FQDN."""
    proc: psutil.Process | None = psutil.Process()
    while proc is not None:
        try:
            match = _FLAG_RE.search(" ".join(proc.cmdline()))
            if match:
                return match[1]
            proc = proc.parent()
        except psutil.Error:
            break
    return str(getfqdn())
