"""One crawl process per command (issue 13): `backfill` and `ingest` of several sources crawl every source-day
in one long-lived crawl process and leave exactly what one `scrapy crawl` per day left; a signal ends it; the S3
client and the lock connections are built once and reused."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from types import MappingProxyType
from typing import Any

import psutil
import pytest
from ops_support import REPO, query, reset, snapshot, wire

import etl.dev.replay.server as replay_server
import scrapers.run
from etl.core.config import Settings
from etl.dev.local import replay_overrides
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.dev.services.manager import service_env
from etl.sources import get_source
from etl.steps import backfill, parallel, pipeline
from etl.store import locks, s3

START, END = date(2025, 12, 31), date(2026, 1, 2)
REQUEST = backfill.BackfillRequest("kazinform", START, END)
ARCHIVES = """SELECT r.partition_date, a.record_count, a.response_count, a.s3_key LIKE '%%/' || r.run_key || '.warc.gz'
              FROM raw_archives a JOIN crawl_runs r ON r.id = a.crawl_run_id ORDER BY 1"""


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The kind of every crawl process started meanwhile: `serve` (a session's) or `scrapy` (one per crawl)."""
    kinds: list[str] = []
    real = subprocess.Popen

    def spy(command: Any, *args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
        text = " ".join(map(str, command))
        kinds.extend(["serve"] if "scrapers.serve" in text else ["scrapy"] if "scrapy crawl" in text else [])
        return real(command, *args, **kwargs)

    monkeypatch.setattr(scrapers.run.subprocess, "Popen", spy)
    yield kinds


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.integration
def test_a_backfill_crawls_every_day_in_one_process_and_stores_what_one_process_per_day_stored(
    settings: Settings, started: list[str]
) -> None:
    reset(settings)
    with ReplayServer(DEFAULT_ROOT) as replay:
        old = backfill.run(wire(settings, replay), REQUEST, one_crawl_process=False)
    assert old.done == REQUEST.days() and started == ["scrapy"] * 3
    per_day = snapshot(settings)
    archives = query(settings, ARCHIVES)

    reset(settings)
    fresh = dataclasses.replace(settings, s3_bucket=settings.s3_bucket + "-one")
    s3.ensure_bucket(fresh)
    started.clear()
    with ReplayServer(DEFAULT_ROOT) as replay:
        new = backfill.run(wire(fresh, replay), REQUEST)
    assert new.done == REQUEST.days() and not new.failed
    assert started == ["serve"]
    assert snapshot(fresh) == per_day  # same rows, same WARC + manifest per run under the same kind of keys
    assert query(fresh, ARCHIVES) == archives and len(archives) == 3  # one WARC per run, the same exchanges
    assert not list((fresh.state_dir / "work").glob("*/*.warc.gz*"))  # every run's work folder went


class HostWatch:
    """Wraps the replay site's answering: counts each host's requests waiting for an answer (the most at once),
    and holds the first request of two hosts until both have arrived (they can only meet if two crawls run at
    the same time; a barrier that broke says they did not)."""

    def __init__(self, meet: tuple[str, str]) -> None:
        self.lock = threading.Lock()
        self.waiting: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.meet = set(meet)
        self.barrier = threading.Barrier(2, timeout=60)
        self.met = False
        self.real = replay_server.build_reply

    def __call__(self, state: Any, host: str | None, target: str) -> Any:
        with self.lock:
            self.waiting[host or ""] += 1
            self.most[host or ""] = max(self.most[host or ""], self.waiting[host or ""])
            first = host in self.meet
            self.meet.discard(host or "")
        try:
            if first:
                self.barrier.wait()  # BrokenBarrierError (the request fails) when the other host never comes
                self.met = True
            return self.real(state, host, target)
        finally:
            with self.lock:
                self.waiting[host or ""] -= 1


@pytest.mark.integration
def test_two_sources_crawl_at_the_same_time_in_one_process_and_each_host_stays_within_its_limit(
    settings: Settings, started: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reset(settings)
    kazinform, tengrinews = get_source("kazinform"), get_source("tengrinews")
    watch = HostWatch((kazinform.hosts[0], tengrinews.hosts[0]))
    monkeypatch.setattr(replay_server, "build_reply", watch)
    steps: list[tuple[str, float, float]] = []  # (step, began, ended) of every step run
    real_step = pipeline._run_step_locked

    def timed_step(settings: Settings, step: Any, run_id: int) -> dict[str, Any]:
        began = time.monotonic()
        try:
            return real_step(settings, step, run_id)
        finally:
            steps.append((step.name, began, time.monotonic()))

    monkeypatch.setattr(pipeline, "_run_step_locked", timed_step)
    day = date(2026, 1, 1)
    requests = [backfill.BackfillRequest(name, day, day) for name in ("kazinform", "tengrinews")]
    with ReplayServer(DEFAULT_ROOT) as replay:
        hosts = {host: replay.base_url for source in (kazinform, tengrinews) for host in source.hosts}
        wired = dataclasses.replace(settings, host_overrides=MappingProxyType(hosts), download_delay=0.0,
                                    crawl_parallel=2)
        results = backfill.run_sources(wired, requests)
    assert watch.met and not watch.barrier.broken  # both crawls had a request waiting at the same moment
    assert started == ["serve"]  # in one crawl process
    assert all(result.done == [day] and not result.failed for result in results.values()), results
    assert set(watch.most) == {*kazinform.hosts, *tengrinews.hosts}
    for source in (kazinform, tengrinews):  # never more at once than the spec allows per host
        assert all(watch.most[host] <= source.concurrency_per_host for host in source.hosts), watch.most
    assert query(settings, "SELECT source, status FROM crawl_runs ORDER BY source") == [
        ("kazinform", "loaded"), ("tengrinews", "loaded")]
    assert sorted(name for name, _, _ in steps).count("load") == 2


@pytest.mark.integration
def test_one_source_at_a_time_when_crawl_parallel_is_1(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    reset(settings)
    kazinform, tengrinews = get_source("kazinform"), get_source("tengrinews")
    watch = HostWatch((kazinform.hosts[0], tengrinews.hosts[0]))
    watch.barrier = threading.Barrier(2, timeout=2)  # sequential crawls never meet: give up soon
    monkeypatch.setattr(replay_server, "build_reply", watch)
    day = date(2026, 1, 1)
    with ReplayServer(DEFAULT_ROOT) as replay:
        hosts = {host: replay.base_url for source in (kazinform, tengrinews) for host in source.hosts}
        wired = dataclasses.replace(settings, host_overrides=MappingProxyType(hosts), download_delay=0.0,
                                    crawl_parallel=1)
        backfill.run_sources(wired, [backfill.BackfillRequest(name, day, day) for name in ("kazinform", "tengrinews")])
    assert not watch.met and watch.barrier.broken


def test_sources_sharing_a_host_are_one_group(monkeypatch: pytest.MonkeyPatch) -> None:
    kazinform = get_source("kazinform")
    twin = dataclasses.replace(kazinform, name="kazinform_twin")
    monkeypatch.setattr(parallel, "get_source", lambda name: twin if name == twin.name else get_source(name))
    assert parallel.host_groups(["kazinform", "tengrinews", "kazinform_twin", "nur"]) == [
        ["kazinform", "kazinform_twin"], ["tengrinews"], ["nur"]]


@pytest.mark.integration
def test_ingest_of_several_sources_uses_one_crawl_process_and_a_failing_source_fails_alone(
    settings: Settings, started: list[str]
) -> None:
    reset(settings)
    tengrinews = get_source("tengrinews")
    with ReplayServer(DEFAULT_ROOT) as replay:
        overrides = {"kaz.inform.kz": replay.base_url,
                     **dict.fromkeys(tengrinews.hosts, f"http://127.0.0.1:{_closed_port()}")}
        wired = dataclasses.replace(settings, host_overrides=MappingProxyType(overrides), download_delay=0.0)
        out = parallel.ingest_sources(wired, ["tengrinews", "kazinform"], date(2026, 1, 1))
    assert started == ["serve"]
    assert "nothing fetched" in out["tengrinews"]["error"]
    assert out["kazinform"]["status"] == "loaded" and out["kazinform"]["loaded_new"] > 0
    assert query(settings, "SELECT source, status FROM crawl_runs ORDER BY source") == [
        ("kazinform", "loaded"), ("tengrinews", "failed")]


@pytest.mark.integration
def test_the_cli_ingests_several_sources(settings: Settings) -> None:
    reset(settings)
    with ReplayServer(DEFAULT_ROOT) as replay:
        env = {**os.environ, "PYTHONPATH": str(REPO), **service_env(settings),
               "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
               "NEWSARCHIVE_HOST_OVERRIDES": replay_overrides(replay.base_url)}
        done = subprocess.run([sys.executable, "-m", "etl.cli.main", "ingest", "--source", "kazinform,tengrinews",
                               "--date", "2026-01-01"], env=env, cwd=REPO, capture_output=True, text=True,
                              timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert sorted(out) == ["kazinform", "tengrinews"]
    assert all(summary["status"] == "loaded" for summary in out.values())


@pytest.mark.integration
def test_a_signal_to_a_backfill_ends_its_crawl_process_and_marks_the_run_interrupted(settings: Settings) -> None:
    reset(settings)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections and never answers: the crawl hangs until stopped
    env = {**os.environ, "PYTHONPATH": str(REPO), **service_env(settings),
           "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
           "NEWSARCHIVE_HOST_OVERRIDES": f"kaz.inform.kz=http://127.0.0.1:{silent.getsockname()[1]}"}
    command = [sys.executable, "-m", "etl.cli.main", "backfill", "--source", "kazinform", "--start", "2026-01-01",
               "--end", "2026-01-01"]
    proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        silent.settimeout(120)
        conn, _ = silent.accept()  # the crawl process sent its first request
        children = psutil.Process(proc.pid).children(recursive=True)
        assert any("scrapers.serve" in " ".join(child.cmdline()) for child in children)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        conn.close()
    finally:
        silent.close()
        if proc.poll() is None:
            proc.kill()
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, "the crawl process outlived its parent"
    assert proc.returncode == 130 and "Traceback" not in err
    assert query(settings, "SELECT status, error FROM crawl_runs") == [("interrupted", "crawl: interrupted by SIGTERM")]
    assert query(settings, "SELECT count(*) FROM pipeline_locks") == [(0,)]


@pytest.mark.integration
def test_a_signal_to_a_backfill_of_sources_crawling_at_once_marks_every_running_crawl_interrupted(
    settings: Settings
) -> None:
    reset(settings)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections and never answers: both crawls hang until stopped
    port = silent.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), **service_env(settings),
           "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
           "NEWSARCHIVE_CRAWL_PARALLEL": "2",
           "NEWSARCHIVE_HOST_OVERRIDES": f"kaz.inform.kz=http://127.0.0.1:{port},"
                                         f"kaz.tengrinews.kz=http://127.0.0.1:{port}"}
    command = [sys.executable, "-m", "etl.cli.main", "backfill", "--source", "kazinform,tengrinews",
               "--start", "2026-01-01", "--end", "2026-01-02"]
    proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    connections = []
    try:
        silent.settimeout(120)
        connections = [silent.accept()[0] for _ in range(2)]  # both crawls sent their first request
        children = psutil.Process(proc.pid).children(recursive=True)
        assert [" ".join(c.cmdline()).count("scrapers.serve") for c in children].count(1) == 1
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=90)
    finally:
        for conn in connections:
            conn.close()
        silent.close()
        if proc.poll() is None:
            proc.kill()
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, "the crawl process outlived its parent"
    assert proc.returncode == 130 and "Traceback" not in err, err[-3000:]
    assert query(settings, "SELECT source, partition_date::text, status FROM crawl_runs ORDER BY source") == [
        ("kazinform", "2026-01-01", "interrupted"), ("tengrinews", "2026-01-01", "interrupted")]
    assert query(settings, "SELECT count(*) FROM pipeline_locks") == [(0,)]
    assert query(settings, "SELECT status, count(*) FROM backfill_days GROUP BY 1 ORDER BY 1") == [
        ("pending", 2), ("running", 2)]  # the next run resumes them


def test_the_s3_client_is_built_once_per_endpoint_and_keys() -> None:
    from etl.core.config import load_settings

    base = load_settings({"S3_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "k",
                          "AWS_SECRET_ACCESS_KEY": "s"}, env_file=None)
    assert s3.client(base) is s3.client(dataclasses.replace(base, s3_bucket="other"))  # same endpoint and keys
    assert s3.client(base) is not s3.client(dataclasses.replace(base, s3_endpoint_url="http://127.0.0.1:10"))
    assert s3.client(base) is not s3.client(dataclasses.replace(base, aws_access_key_id="someone-else"))


@pytest.mark.integration
def test_lock_connections_are_reused_and_a_dropped_one_is_replaced(settings: Settings) -> None:
    url = settings.require_database_url()
    pids = []
    for name in ("day:a:2026-01-01", "run:1"):
        with locks.held(url, name, name):
            pids.append(query(settings, "SELECT backend_pid FROM pipeline_locks WHERE name = %s", (name,))[0][0])
            assert query(settings, "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                         (f"newsarchive-lock {name}",)) == [(1,)]
    assert pids[0] == pids[1]  # the second lock came on the first one's connection
    query(settings, "SELECT pg_terminate_backend(%s)", (pids[1],))
    with locks.held(url, "run:2", "run 2"):  # the kept connection is gone: a new one takes the lock
        assert query(settings, "SELECT count(*) FROM pipeline_locks WHERE name = 'run:2'") == [(1,)]
    assert query(settings, "SELECT count(*) FROM pipeline_locks") == [(0,)]
