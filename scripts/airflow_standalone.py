"""`make airflow`: Airflow standalone (scheduler, API server/UI, DAG processor, triggerer) wired to the embedded
services and the offline replay site, for people who want the scheduler and the UI.

UI on http://127.0.0.1:8080; the generated admin password is printed. Ctrl-C stops everything: SIGINT to
Airflow's process group, a grace period, then SIGKILL, so no process is left behind.
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
from pathlib import Path

from etl.core.config import load_settings
from etl.core.errors import PipelineError, UserError
from etl.dev.local import REPO, airflow_home, init_airflow, local_env
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.dev.services import manager
from etl.dev.services.procs import require_free_ports

log = logging.getLogger("airflow-standalone")
GRACE_SECONDS = 25


def _healthy() -> bool:
    try:
        with urllib.request.urlopen("http://127.0.0.1:8080/api/v2/monitor/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _password(home: Path) -> str:
    for name in ("simple_auth_manager_passwords.json.generated", "simple_auth_manager_passwords.json"):
        path = home / name
        if path.exists():
            data = json.loads(path.read_text())
            return ", ".join(f"{user} / {password}" for user, password in data.items())
    return "(see the Airflow log above)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    pgid = os.getpgid(proc.pid)
    os.killpg(pgid, signal.SIGINT)
    try:
        proc.wait(GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        log.warning("Airflow did not stop within %s s; killing its process group", GRACE_SECONDS)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    """Start everything, wait for Ctrl-C, stop everything."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        require_free_ports("Airflow", [8080])
        settings = manager.up(load_settings())
    except (UserError, PipelineError) as exc:
        print(f"airflow: {exc}", file=sys.stderr)
        return 2
    home = airflow_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    with ReplayServer(DEFAULT_ROOT, port=settings.replay_port) as replay:
        env = local_env(settings, replay.base_url, download_delay=0.2)
        init_airflow(settings, env)
        airflow = str(Path(sys.executable).parent / "airflow")
        proc = subprocess.Popen([airflow, "standalone"], env=env, cwd=REPO, start_new_session=True)
        for sig in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored (background jobs)
            signal.signal(sig, _interrupt)
        try:
            deadline = time.monotonic() + 120
            while not _healthy():
                if proc.poll() is not None or time.monotonic() > deadline:
                    print("airflow: standalone did not become healthy; see the log above", file=sys.stderr)
                    return 1
                time.sleep(1)
            print(f"\nAirflow UI: http://127.0.0.1:8080  login: {_password(home)}")
            print(f"Replay site: {replay.base_url}  (hosts mapped with NEWSARCHIVE_HOST_OVERRIDES)")
            print("Trigger news_daily from the UI, or backfill: AIRFLOW_HOME=" + str(home) +
                  " .venv/bin/airflow backfill create --dag-id news_daily --from-date 2025-12-31 --to-date 2026-01-02")
            print("Press Ctrl-C to stop.\n")
            proc.wait()
        except KeyboardInterrupt:
            print("\nstopping Airflow ...")
        finally:
            _stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
