"""The real scheduler: `news_daily` runs for a replay day created with the documented command
(`newsarchive airflow run`), executed by Airflow's scheduler, DAG processor and API server on the embedded
services, then the same day reprocessed; every task green, the articles loaded and unchanged, nothing left running.

Two sources (NEWSARCHIVE_SOURCES) keep it within a few minutes on two cores; the three-day run set of the
documented range is checked by Airflow's dry run in test_airflow_runs.py.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import sqlite3
import subprocess
from pathlib import Path

import psutil
import psycopg2
import pytest

from etl.core.config import Settings
from tests.test_airflow_runs import run_cli

pytestmark = [pytest.mark.scheduler, pytest.mark.airflow, pytest.mark.integration]
REPO = Path(__file__).resolve().parents[1]
SOURCES = ("kazinform_qz", "kazinform_en")
DAY = "2026-01-02"
RUN_TIMEOUT = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def task_states(home: Path) -> list[tuple[str, str, str]]:
    """(task id, rendered map index, state) of every task instance in the local Airflow's metadata."""
    conn = sqlite3.connect(f"file:{home / 'airflow.db'}?mode=ro", uri=True, timeout=30)
    try:
        return [(task, name or "", state or "") for task, name, state in conn.execute(
            "SELECT task_id, rendered_map_index, state FROM task_instance ORDER BY task_id, map_index")]
    finally:
        conn.close()


def article_hashes(settings: Settings) -> dict[str, str]:
    with psycopg2.connect(settings.database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT canonical_url, content_hash FROM articles")
        return dict(cur.fetchall())


def test_a_replay_day_runs_green_under_the_real_scheduler(settings: Settings, tmp_path: Path) -> None:
    from etl.dev.local import airflow_home, init_scheduler, local_env
    from etl.dev.local_airflow import LocalAirflow
    from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
    from etl.steps.plan import STEPS

    local = dataclasses.replace(settings, state_dir=tmp_path / "state", airflow_port=free_port())
    home = airflow_home(local)
    with ReplayServer(DEFAULT_ROOT) as replay:
        env = {**local_env(local, replay.base_url, download_delay=0), "NEWSARCHIVE_SOURCES": ",".join(SOURCES),
               "S3_BUCKET": local.s3_bucket}
        init_scheduler(local, env)
        airflow = LocalAirflow(env, components=("api-server", "dag-processor", "scheduler"))
        before = {p.pid for p in psutil.Process().children(recursive=True)}  # the embedded servers, for one
        try:
            with airflow:
                ours = psutil.Process().children(recursive=True)
                first = run_day(["--wait"], env, "UTC", home)
                hashes = article_hashes(local)
                run_day(["--reprocess", "--wait"], env, "Asia/Almaty", home)
                ours += psutil.Process().children(recursive=True)
        finally:
            killed = airflow.stop()
    assert killed == [], f"needed SIGKILL: {killed}"
    left = {p for p in ours if p.pid not in before and p.is_running() and p.status() != psutil.STATUS_ZOMBIE}
    assert not left, f"left running: {[(p.pid, p.name()) for p in left]}"

    assert first.stdout.split()[0] == DAY and first.stdout.split()[-1] == "success", first.stdout
    states = task_states(home)
    assert len(states) == 1 + len(SOURCES) * len(STEPS)
    assert {state for *_, state in states} == {"success"}, states
    assert {name for task, name, _ in states if task.startswith("source.")} == {f"{s} {DAY}" for s in SOURCES}
    expected = set()
    for source in SOURCES:
        days = json.loads((REPO / "fixtures" / source / "days.json").read_text(encoding="utf-8"))
        expected |= set(days["days"][DAY]["articles"])
    assert set(hashes) == expected
    assert article_hashes(local) == hashes  # reprocessing changed no article


def run_day(options: list[str], env: dict[str, str], tz: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The documented command for DAY in a `tz` shell; fails with its output and the scheduler's log tail."""
    scheduler_log = home / "logs" / "scheduler.log"
    try:
        result = run_cli(["airflow", "run", "--day", DAY, *options, "--timeout", str(RUN_TIMEOUT)], env, tz,
                         timeout=RUN_TIMEOUT + 60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the run of {DAY} did not finish within {RUN_TIMEOUT} s; scheduler log tail:\n"
                    + scheduler_log.read_text(errors="replace")[-3000:])
    if result.returncode != 0:
        pytest.fail(f"`newsarchive airflow run --day {DAY} {' '.join(options)}` exited {result.returncode}:\n"
                    f"{result.stdout[-1500:]}\n{result.stderr[-2500:]}\n--- scheduler log tail ---\n"
                    + scheduler_log.read_text(errors="replace")[-3000:])
    return result
