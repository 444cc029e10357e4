"""The local Airflow as separate components (scheduler, DAG processor, triggerer, API server), each in its own
process group, every listener on 127.0.0.1, stopped in order with SIGTERM and waited for.

`airflow standalone` is not used: it starts the scheduler's and triggerer's log servers on every interface
(they bind to all addresses whatever the configuration says) and its Ctrl-C handling ended in SIGKILL.
Component output goes to `<AIRFLOW_HOME>/logs/<component>.log`.

Reads nothing itself: the environment it is given (etl.dev.local.local_env) carries the settings, the API
server's port among them (NEWSARCHIVE_AIRFLOW_PORT as AIRFLOW__API__PORT).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import psutil

from etl.core.errors import PipelineError
from etl.dev.services.procs import require_free_ports

log = logging.getLogger(__name__)

#: Start order (then any extra components, such as Celery workers); stopped in reverse (the API server last:
#: finishing tasks still report to it).
COMPONENTS: dict[str, list[str]] = {
    "api-server": ["api-server", "--workers", "1"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
    "scheduler": ["scheduler", "--skip-serve-logs"],
}
STOP_TIMEOUT = 60.0


class LocalAirflow:
    """Start the chosen components, wait for the API server's health; stop them all on exit."""

    def __init__(self, env: Mapping[str, str], components: Sequence[str] = tuple(COMPONENTS),
                 extra: Mapping[str, Sequence[str]] | None = None) -> None:
        self.env = dict(env)
        self.home = Path(self.env["AIRFLOW_HOME"])
        self.port = int(self.env["AIRFLOW__API__PORT"])
        #: `airflow` arguments per component, in start order: the chosen ones, then `extra` (e.g. Celery workers).
        self.commands = {name: list(args) for name, args in COMPONENTS.items() if name in components}
        self.commands.update({name: list(args) for name, args in (extra or {}).items()})
        self.components = list(self.commands)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        """The UI and API base URL."""
        return f"http://127.0.0.1:{self.port}"

    def log_path(self, name: str) -> Path:
        """Where a component's output goes."""
        return self.home / "logs" / f"{name}.log"

    def start(self, timeout: float = 180) -> None:
        """Start every component and wait until the API server answers its health check."""
        require_free_ports("Airflow", [self.port])
        airflow = str(Path(sys.executable).parent / "airflow")
        (self.home / "logs").mkdir(parents=True, exist_ok=True)
        for name in self.components:
            with self.log_path(name).open("ab") as out:
                self.procs[name] = subprocess.Popen([airflow, *self.commands[name]], env=self.env, stdout=out,
                                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                    start_new_session=True)
            log.info("started airflow %s (pid %s), log %s", name, self.procs[name].pid, self.log_path(name))
        deadline = time.monotonic() + timeout
        while not self.healthy():
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise PipelineError(f"airflow {name} exited with status {proc.returncode}: "
                                        f"see {self.log_path(name)}")
            if time.monotonic() > deadline:
                raise PipelineError(f"the Airflow API server did not answer on {self.url} within {timeout:.0f} s: "
                                    f"see {self.log_path('api-server')}")
            time.sleep(1)

    def wait(self, interval: float = 2) -> str:
        """Block until a component exits (or an interrupt); return its name and exit status."""
        while True:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    return f"airflow {name} exited with status {proc.returncode}: see {self.log_path(name)}"
            time.sleep(interval)

    def healthy(self) -> bool:
        """Whether the API server answers its health endpoint."""
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def password(self) -> str:
        """The generated login(s) of the simple auth manager."""
        for name in ("simple_auth_manager_passwords.json.generated", "simple_auth_manager_passwords.json"):
            path = self.home / name
            if path.exists():
                data = json.loads(path.read_text())
                return ", ".join(f"{user} / {password}" for user, password in data.items())
        return f"(see {self.log_path('api-server')})"

    def stop(self, timeout: float = STOP_TIMEOUT) -> list[str]:
        """SIGTERM each component's process group in reverse start order and wait for every process of it.

        Returns the components that had to be killed (none, when Airflow stops as it should).
        """
        killed = []
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            try:
                group = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
            except psutil.NoSuchProcess:
                group = []
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            _, alive = psutil.wait_procs(group, timeout=timeout)
            if alive:
                log.warning("airflow %s did not stop within %.0f s after SIGTERM; killing it", name, timeout)
                for leftover in alive:
                    leftover.kill()
                psutil.wait_procs(alive, timeout=10)
                killed.append(name)
            proc.wait()
            log.info("airflow %s stopped (exit %s)", name, proc.returncode)
        self.procs.clear()
        return killed

    def __enter__(self) -> LocalAirflow:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

