"""The CeleryExecutor deployment run for real (`make test-cluster`): `newsarchive cluster up` (docker-compose's
topology as local processes), the three replay days through Airflow's native backfill (`newsarchive airflow run`,
max_active_runs 2), one worker SIGKILLed mid-backfill, then `newsarchive cluster down`.

Asserts: every run green; task instances ran on both workers (task_instance.hostname); the crawl pool never had
more crawls running than its slots (from every try's start and end, task_instance_history included); the
killed worker's running tasks were retried on the other; the archive equals the one an in-process backfill of the
same days leaves on a separate database and bucket (article hashes, near-duplicate links, versions, MinHash index,
coverage; S3 keys modulo run keys); after `down` no process or port of the cluster is left.

That full test is marked `cluster` (about 7 minutes: outside `make test`, run by `make test-cluster`); the
normal run has a reduced form, one day of one source without a kill (about 2 minutes). Two sources (kazinform
and tengrinews: they republish each other, so near-duplicate links are compared) keep the full test to minutes;
NEWSARCHIVE_SOURCES chooses them, as in tests/test_scheduler.py. Synchronisation is polling of the metadata
database with generous timeouts, never sleeps as waits.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import psutil
import psycopg2
import pytest
from ops_support import archive_state, reset

from etl.core.config import Settings, load_settings, parse_host_overrides
from etl.dev.services.procs import free_port_block, port_in_use
from tests.test_airflow_runs import NEWSARCHIVE

pytestmark = [pytest.mark.airflow, pytest.mark.integration]
REPO = Path(__file__).resolve().parents[1]
SOURCES = ("kazinform", "tengrinews")
DAYS = [date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]
RUNS_TIMEOUT = 900
KILL_AFTER = 12  # finished task instances (of 45) before a busy worker is killed
_RUN_KEY_RE = re.compile(r"-\d{8}T\d{6}Z-[0-9a-f]{6}")


def cli(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`newsarchive ARGS`; fails the test with its output when it exits non-zero."""
    result = subprocess.run([NEWSARCHIVE, *args], env=env, text=True, capture_output=True, timeout=timeout)
    if result.returncode != 0:
        pytest.fail(f"`newsarchive {' '.join(args)}` exited {result.returncode}:\n{result.stdout[-2000:]}\n"
                    f"{result.stderr[-3000:]}")
    return result


def metadata(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows from the cluster's Airflow metadata database."""
    from etl.dev.cluster_env import metadata_url

    with closing(psycopg2.connect(metadata_url(settings, "postgresql"), connect_timeout=10)) as conn, \
            conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def worker_of(hostname: str | None) -> str:
    """`w1` from the task hostname `w1@<machine>`."""
    return (hostname or "").split("@")[0]


def s3_keys(settings: Settings) -> Counter[str]:
    """Every key of the bucket, run keys (which hold the crawl's start time and a random part) masked."""
    from etl.store import s3

    return Counter(_RUN_KEY_RE.sub("-RUN", key) for key in s3.iter_keys(s3.client(settings), settings.s3_bucket, ""))


def pool_peak(settings: Settings, pool: str) -> int:
    """The most tries of the pool's tasks running at one instant (every try: task_instance and its history)."""
    rows = metadata(settings, """SELECT start_date, end_date FROM task_instance WHERE pool = %s AND start_date IS NOT NULL
                                 UNION ALL
                                 SELECT start_date, end_date FROM task_instance_history
                                 WHERE pool = %s AND start_date IS NOT NULL""", (pool, pool))
    events = sorted([(start, 1) for start, _ in rows] + [(end or datetime.max.replace(tzinfo=start.tzinfo), -1)
                                                        for start, end in rows], key=lambda e: (e[0], e[1]))
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def kill_a_busy_worker(settings: Settings, deadline: float) -> tuple[str, set[tuple[str, str, int]]]:
    """Poll until KILL_AFTER tasks have finished, on both workers, and one worker is running some; SIGKILL that
    worker; return its name and the tasks it was running."""
    from etl.dev import cluster

    while time.monotonic() < deadline:
        rows = metadata(settings, "SELECT run_id, task_id, map_index, state, hostname FROM task_instance "
                                  "WHERE dag_id = 'news_daily'")
        done = {worker_of(host) for *_, state, host in rows if state == "success"}
        busy = Counter(worker_of(host) for *_, state, host in rows if state == "running")
        finished = sum(1 for *_, state, _ in rows if state == "success")
        if {"w1", "w2"} <= done and busy and finished >= KILL_AFTER:
            victim = busy.most_common(1)[0][0]
            running = {(run, task, index) for run, task, index, state, host in rows
                       if state == "running" and worker_of(host) == victim}
            assert cluster.kill_worker(settings, victim) >= 1
            return victim, running
        if rows and all(state in ("success", "failed", "upstream_failed") for *_, state, _ in rows) and \
                len(metadata(settings, "SELECT 1 FROM dag_run WHERE state = 'running'")) == 0:
            break
        time.sleep(0.5)  # polling interval, not a wait for an event
    pytest.fail("no moment with both workers done with a task and one running another")


def wait_for_runs(settings: Settings, deadline: float, count: int) -> list[tuple[str, str]]:
    """Poll until `count` backfill runs have finished; return (run id, state)."""
    runs: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        runs = metadata(settings, "SELECT run_id, state FROM dag_run WHERE dag_id = 'news_daily' ORDER BY run_id")
        if len(runs) == count and all(state in ("success", "failed") for _, state in runs):
            return [(str(run), str(state)) for run, state in runs]
        time.sleep(2)
    pytest.fail(f"the runs did not finish within {RUNS_TIMEOUT} s: {runs}")


def cluster_processes(settings: Settings) -> list[psutil.Process]:
    """Every live process of the cluster: the recorded ones, the embedded services and all their children."""
    from etl.dev import cluster
    from etl.dev.services.procs import read_pid

    records = [read_pid(cluster.run_dir(settings) / f"{item.name}.pid") for item in cluster.status(settings)]
    records += [read_pid(settings.state_dir / "run" / f"{name}.pid") for name in ("postgres", "seaweedfs")]
    procs = []
    for record in records:
        proc = record.process() if record else None
        if proc is not None:
            procs += [proc, *proc.children(recursive=True)]
    return procs


def differences(actual: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """Per table of archive_state, the rows only the cluster has and the rows only the reference has."""
    found = {}
    for name in expected:
        mine, theirs = Counter(map(repr, actual[name])), Counter(map(repr, expected[name]))
        if mine != theirs:
            found[name] = {"cluster only": sorted((mine - theirs).elements())[:5],
                           "reference only": sorted((theirs - mine).elements())[:5]}
    return found


def reference_archive(settings: Settings) -> tuple[dict[str, Any], Counter[str]]:
    """The archive an in-process backfill of the same sources and days leaves (the session's database, own bucket)."""
    from etl.dev.local import replay_overrides
    from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
    from etl.steps import backfill

    reset(settings)
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = dataclasses.replace(settings, download_delay=0.0, host_overrides=MappingProxyType(
            parse_host_overrides(replay_overrides(replay.base_url))))
        for source in SOURCES:
            assert not backfill.run(wired, backfill.BackfillRequest(source, DAYS[0], DAYS[-1])).failed
    return archive_state(settings), s3_keys(settings)


@contextmanager
def running_cluster(sources: tuple[str, ...]) -> Iterator[tuple[Settings, dict[str, str], list[psutil.Process]]]:
    """`newsarchive cluster up` on free ports and a fresh state dir; on leaving, `cluster down`, then no process
    the cluster had (the caller adds what it sees to the list) and none of its ports may be left."""
    from etl.dev import cluster
    from etl.dev.services.manager import resolve_settings

    state = Path(tempfile.mkdtemp(prefix="newsarchive-cluster-"))
    base = free_port_block(2, start=30000, stop=32000)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("AIRFLOW") and name not in ("DATABASE_URL", "S3_ENDPOINT_URL")}
    env.update({
        "NEWSARCHIVE_STATE_DIR": str(state), "NEWSARCHIVE_SOURCES": ",".join(sources),
        "NEWSARCHIVE_PG_PORT": str(base), "NEWSARCHIVE_REDIS_PORT": str(base + 1),
        "NEWSARCHIVE_S3_PORT": str(free_port_block(5, start=10000, stop=14000)),
        "NEWSARCHIVE_AIRFLOW_PORT": str(free_port_block(2, start=20000, stop=22000)),
        "NEWSARCHIVE_REPLAY_PORT": str(free_port_block(1, start=22000, stop=24000)),
        "NEWSARCHIVE_DOWNLOAD_DELAY": "0", "NEWSARCHIVE_BACKOFF": "0", "NEWSARCHIVE_BLOCK_BACKOFF": "0",
        "NEWSARCHIVE_CLUSTER_WORKERS": "2",
    })
    raw = load_settings(env)
    seen: list[psutil.Process] = []
    try:
        cli(["cluster", "up"], env)
        local = resolve_settings(raw)
        cluster.wait_for_workers(local)
        seen += cluster_processes(local)
        status = cli(["cluster", "status"], env).stdout.splitlines()
        assert [line.split()[:2] for line in status] == [[name, "running"] for name in cluster.start_order(local)]
        yield local, env, seen
    finally:
        down = subprocess.run([NEWSARCHIVE, "cluster", "down"], env=env, text=True, capture_output=True, timeout=600)
    assert down.returncode == 0, down.stderr[-2000:]
    after = subprocess.run([NEWSARCHIVE, "cluster", "status"], env=env, text=True, capture_output=True, timeout=120)
    assert (after.returncode, after.stdout) == (1, "the cluster is not running\n"), after
    left = [p for p in seen if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"left running after cluster down: {[(p.pid, p.name()) for p in left]}"
    ports = [raw.pg_port, raw.redis_port, raw.airflow_port, raw.airflow_port + 1, raw.replay_port,
             *(raw.s3_port + i for i in range(5))]
    assert [port for port in ports if port_in_use(port)] == []
    shutil.rmtree(state, ignore_errors=True)


@pytest.mark.cluster
def test_the_cluster_runs_three_days_on_two_workers_and_survives_a_killed_worker(settings: Settings) -> None:
    from etl.dev.cluster_env import worker_names

    expected, expected_keys = reference_archive(settings)
    started = time.monotonic()
    with running_cluster(SOURCES) as (local, env, seen):
        wall = time.monotonic()
        cli(["airflow", "run", "--day", str(DAYS[0]), "--to", str(DAYS[-1]), "--max-active-runs", "2"], env)
        deadline = time.monotonic() + RUNS_TIMEOUT
        victim, lost = kill_a_busy_worker(local, deadline)
        runs = wait_for_runs(local, deadline, len(DAYS))
        wall = time.monotonic() - wall
        seen += cluster_processes(local)
        tasks = metadata(local, "SELECT run_id, task_id, map_index, state, hostname, try_number FROM task_instance "
                                "WHERE dag_id = 'news_daily'")
        peak = pool_peak(local, local.crawl_pool)
        actual, actual_keys = archive_state(local), s3_keys(local)

    assert [state for _, state in runs] == ["success"] * len(DAYS), runs
    assert {state for *_, state, _, _ in tasks} == {"success"}, tasks
    per_worker = Counter(worker_of(host) for *_, host, _ in tasks)
    assert set(per_worker) == set(worker_names(local)) == {"w1", "w2"}, per_worker
    survivor = ({"w1", "w2"} - {victim}).pop()
    final = {(run, task, index): (worker_of(host), tries) for run, task, index, _, host, tries in tasks}
    assert lost and all(final[key][0] == survivor and final[key][1] >= 2 for key in lost), (lost, final)
    assert 1 <= peak <= local.crawl_pool_slots, peak
    assert differences(actual, expected) == {}  # days finish in any order: the archive must not show it
    assert actual_keys == expected_keys
    print(f"\ncluster: {len(runs)} runs green on 2 workers (tasks: w1 {per_worker['w1']}, w2 {per_worker['w2']}), "
          f"pool peak {peak} of {local.crawl_pool_slots}, worker kill survived "
          f"(runs {wall:.0f} s, whole test {time.monotonic() - started:.0f} s)")


def test_the_cluster_runs_a_day_and_leaves_nothing_behind() -> None:
    """The reduced form in the normal run (`make test`): up, one replay day of one source through the backfill,
    every task green on the cluster's workers and the day's articles loaded, down with nothing left."""
    source, day = "kazinform_en", date(2026, 1, 2)
    with running_cluster((source,)) as (local, env, seen):
        cli(["airflow", "run", "--day", str(day), "--wait", "--timeout", str(RUNS_TIMEOUT)], env,
            timeout=RUNS_TIMEOUT + 120)
        seen += cluster_processes(local)
        tasks = metadata(local, "SELECT state, hostname, pool FROM task_instance WHERE dag_id = 'news_daily'")
        loaded = {row[1] for row in archive_state(local)["articles"]}
    from etl.steps.plan import STEPS

    assert len(tasks) == 1 + len(STEPS) and {state for state, _, _ in tasks} == {"success"}, tasks
    assert {worker_of(host) for _, host, _ in tasks} <= {"w1", "w2"}, tasks
    days = json.loads((REPO / "fixtures" / source / "days.json").read_text(encoding="utf-8"))
    assert loaded == set(days["days"][str(day)]["articles"])
