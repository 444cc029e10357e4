"""`make airflow`: the local Airflow (API server/UI, DAG processor, triggerer, scheduler) wired to the embedded
services and the offline replay site, for people who want the scheduler and the UI.

UI on http://127.0.0.1:NEWSARCHIVE_AIRFLOW_PORT (default 8080); the generated admin password is printed. Every
listener is on 127.0.0.1. The replay site holds three past days, so this Airflow creates no scheduled runs:
runs are created with `newsarchive airflow run --day D [--to D2]` (or from the UI). Ctrl-C stops the
components in order (SIGTERM, then each is waited for), the replay site, and the embedded PostgreSQL and S3
when this command started them.
"""

from __future__ import annotations

import logging
import signal
import sys

from etl.core.config import load_settings
from etl.core.errors import PipelineError, UserError
from etl.dev.local import airflow_home, init_scheduler, local_env
from etl.dev.local_airflow import LocalAirflow
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.dev.services import manager

log = logging.getLogger("airflow-standalone")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def banner(url: str, login: str, replay_url: str, state_dir: str) -> str:
    """What `make airflow` prints once Airflow is up: the UI, the login and how to run past days."""
    return (f"\nAirflow UI: {url}  login: {login}\n"
            f"Replay site: {replay_url}  (hosts mapped with NEWSARCHIVE_HOST_OVERRIDES)\n"
            "Run the three replay days (runs whose data interval starts on each local day, any shell time zone):\n"
            f"  NEWSARCHIVE_STATE_DIR={state_dir} .venv/bin/newsarchive airflow run --day 2025-12-31 --to 2026-01-02\n"
            "  (--reprocess runs finished days again; --dry-run lists the runs; --wait waits for them)\n"
            "No scheduled runs here (the replay site has no other days). Press Ctrl-C to stop.\n")


def main() -> int:
    """Start everything, wait for Ctrl-C, stop everything."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for sig in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored (background jobs)
        signal.signal(sig, _interrupt)
    raw = load_settings()
    started = [item.name for item in manager.status(raw) if item.mode == "stopped"]
    try:
        settings = manager.up(raw)
    except (UserError, PipelineError) as exc:
        print(f"airflow: {exc}", file=sys.stderr)
        return 2
    status = 0
    try:
        airflow_home(settings).mkdir(parents=True, exist_ok=True)
        with ReplayServer(DEFAULT_ROOT, port=settings.replay_port) as replay:
            env = local_env(settings, replay.base_url, download_delay=0.2)
            init_scheduler(settings, env)
            with LocalAirflow(env) as local:
                print(banner(local.url, local.password(), replay.base_url, str(settings.state_dir)), flush=True)
                print(f"airflow: {local.wait()}", file=sys.stderr)
                status = 1
    except KeyboardInterrupt:
        print("\nstopped Airflow and the replay site", file=sys.stderr)
    except (UserError, PipelineError) as exc:
        print(f"airflow: {exc}", file=sys.stderr)
        status = 1
    finally:
        if started:  # leave running only what was running before
            stopped = manager.down(settings)
            print(f"stopped the embedded {', '.join(stopped)}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
