"""Locks and interruptions with real processes: one process per source-day, signals end the crawl child and
mark the run `interrupted`, stale runs are taken over, re-runs resume, and the reader holds no lock."""

from __future__ import annotations

import os
import signal
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date

import psutil
import psycopg2
import pytest
from ops_support import REPO, query, reset, wire
from psycopg2 import errors

from etl.core.config import Settings
from etl.core.errors import PipelineError
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.read.query import reader_dsn
from etl.steps import backfill, pipeline
from etl.steps.crawl import day_interval
from etl.store import locks, runs
from etl.store.locks import LockBusy

pytestmark = pytest.mark.integration
DAY = date(2026, 1, 1)


class _Hold(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.connected.set()  # type: ignore[attr-defined]
        while self.request.recv(65536):  # read whatever comes, answer nothing
            pass


class Silent(socketserver.ThreadingTCPServer):
    """A TCP server that accepts connections and never answers: a crawl through it hangs until stopped."""

    daemon_threads = True

    def __init__(self) -> None:
        self.connected = threading.Event()
        super().__init__(("127.0.0.1", 0), _Hold)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


def _env(settings: Settings, base_url: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": settings.require_database_url(),
            "S3_ENDPOINT_URL": settings.s3_endpoint_url or "", "S3_BUCKET": settings.s3_bucket,
            "AWS_ACCESS_KEY_ID": settings.aws_access_key_id, "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
            "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
            "NEWSARCHIVE_HOST_OVERRIDES": f"kaz.inform.kz={base_url}"}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "etl.cli.main", *args]


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_the_crawl_child_and_marks_the_run_interrupted(settings: Settings, silent: Silent,
                                                                     sig: signal.Signals) -> None:
    reset(settings)
    ingest = subprocess.Popen(_cli("ingest", "--source", "kazinform", "--date", DAY.isoformat()), cwd=REPO,
                              env=_env(settings, silent.base_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        assert silent.connected.wait(120), "the crawl never sent a request"
        children = psutil.Process(ingest.pid).children(recursive=True)
        assert any("scrapy" in " ".join(child.cmdline()) for child in children)
        ingest.send_signal(sig)
        _, err = ingest.communicate(timeout=60)
    finally:
        if ingest.poll() is None:
            ingest.kill()
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, "the Scrapy child outlived its parent"
    assert ingest.returncode == 130
    assert [line for line in err.splitlines() if line.startswith("newsarchive:")] == ["newsarchive: interrupted"]
    assert "Traceback" not in err
    assert query(settings, "SELECT status, error FROM crawl_runs") == [
        ("interrupted", f"crawl: interrupted by {'SIGTERM' if sig == signal.SIGTERM else 'SIGINT'}")]
    assert query(settings, "SELECT count(*) FROM pipeline_locks WHERE name = %s",
                 (locks.day_lock("kazinform", DAY),)) == [(0,)]


def test_a_second_process_on_the_same_day_fails_with_one_line(settings: Settings) -> None:
    reset(settings)
    url = settings.require_database_url()
    with locks.held(url, locks.day_lock("kazinform", DAY), "kazinform 2026-01-01"):
        done = subprocess.run(_cli("ingest", "--source", "kazinform", "--date", DAY.isoformat()), cwd=REPO,
                              env=_env(settings, "http://127.0.0.1:9"), capture_output=True, text=True, timeout=120)
        with pytest.raises(LockBusy, match="kazinform 2026-01-01 is busy"):
            pipeline.crawl(settings, "kazinform", DAY)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("newsarchive:")]
    assert "kazinform 2026-01-01 is busy" in line and f"pid {os.getpid()}" in line
    assert query(settings, "SELECT count(*) FROM crawl_runs") == [(0,)]  # nothing crawled, no run left behind


def test_overlapping_backfills_never_crawl_the_same_day_at_once(settings: Settings) -> None:
    """Another process works on 2026-01-01: a backfill over it does the other days and leaves that one open."""
    reset(settings)
    url = settings.require_database_url()
    request = backfill.BackfillRequest("kazinform", date(2025, 12, 31), date(2026, 1, 2))
    with ReplayServer(DEFAULT_ROOT) as replay:
        with locks.held(url, locks.day_lock("kazinform", DAY), "the other backfill"):
            done = subprocess.run(_cli("backfill", "--source", "kazinform", "--start", "2025-12-31",
                                       "--end", "2026-01-02"), cwd=REPO, env=_env(settings, replay.base_url),
                                  capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stderr[-2000:]
        assert query(settings, "SELECT day, status, error LIKE '%%is busy%%' FROM backfill_days ORDER BY day") == [
            (date(2025, 12, 31), "done", None), (DAY, "failed", True), (date(2026, 1, 2), "done", None)]
        assert query(settings, "SELECT count(*) FROM crawl_runs WHERE partition_date = %s", (DAY,)) == [(0,)]
        again = backfill.run(wire(settings, replay), request)
    assert again.resumed and again.done == request.days() and not again.failed


def test_the_reader_cannot_take_or_block_the_pipeline_locks(settings: Settings) -> None:
    """Advisory locks were takeable by any role; pipeline_locks rows are not writable by the reader."""
    reset(settings)
    url = settings.require_database_url()
    reader = psycopg2.connect(**reader_dsn(url), options="-c default_transaction_read_only=off")
    try:
        with reader.cursor() as cur:
            for statement in ("INSERT INTO pipeline_locks VALUES ('backfill-job:1', 'x', 1, now())",
                              "DELETE FROM pipeline_locks", "SELECT * FROM pipeline_locks FOR UPDATE",
                              "LOCK TABLE pipeline_locks IN EXCLUSIVE MODE"):
                with pytest.raises(errors.InsufficientPrivilege):
                    cur.execute(statement)
                reader.rollback()
            reader.autocommit = True
            for job in range(1, 4):  # what the old job lock was: pg_try_advisory_lock(74016, job id)
                cur.execute("SELECT pg_advisory_lock(74016, %s)", (job,))
        with ReplayServer(DEFAULT_ROOT) as replay:
            result = backfill.run(wire(settings, replay), backfill.BackfillRequest("kazinform", DAY, DAY))
        assert result.job_id in range(1, 4) and result.done == [DAY]
    finally:
        reader.close()


def test_a_dead_holder_frees_its_lock_and_its_stale_crawl_is_taken_over(settings: Settings) -> None:
    reset(settings)
    url = settings.require_database_url()
    start, end = day_interval(DAY, settings.timezone)
    stale = runs.create_run(url, "kazinform", DAY, start, end, refetch=False, trigger="cli")  # left `crawling`
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from etl.store import locks\n"
         "with locks.held(sys.argv[1], sys.argv[2], 'x'):\n    print('held', flush=True); sys.stdin.read()",
         url, locks.day_lock("kazinform", DAY)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    with pytest.raises(LockBusy):
        pipeline.crawl(settings, "kazinform", DAY)
    holder.kill()
    holder.wait()
    _wait_gone(url, "newsarchive-lock day:kazinform:2026-01-01")
    with ReplayServer(DEFAULT_ROOT) as replay:
        summary = pipeline.ingest_day(wire(settings, replay), "kazinform", DAY)
    assert query(settings, "SELECT id, status FROM crawl_runs ORDER BY id") == [
        (stale.id, "interrupted"), (summary["run_id"], "loaded")]


def _wait_gone(url: str, application: str) -> None:
    """Until the killed holder's server process has ended (PostgreSQL notices the closed socket at once)."""
    with psycopg2.connect(url) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            for _ in range(500):
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application,))
                if cur.fetchone() == (0,):
                    return
                cur.execute("SELECT pg_sleep(0.01)")
    raise AssertionError("the dead holder's session never ended")


def test_a_rerun_resumes_the_days_unfinished_run_instead_of_crawling_again(settings: Settings) -> None:
    reset(settings)
    with ReplayServer(DEFAULT_ROOT) as replay:
        wired = wire(settings, replay)
        run_id = pipeline.crawl(wired, "kazinform", DAY)
        pipeline.run_step(wired, "archive", run_id)
        served = len(replay.requests)
        summary = pipeline.ingest_day(wired, "kazinform", DAY)
        assert len(replay.requests) == served  # nothing fetched again
    assert summary["run_id"] == run_id
    assert query(settings, "SELECT id, status FROM crawl_runs") == [(run_id, "loaded")]


def test_a_step_of_a_run_is_run_by_one_process_at_a_time(settings: Settings) -> None:
    reset(settings)
    url = settings.require_database_url()
    start, end = day_interval(DAY, settings.timezone)
    run = runs.create_run(url, "kazinform", DAY, start, end, refetch=False, trigger="cli")
    with locks.held(url, locks.run_lock(run.id), "another worker"), pytest.raises(PipelineError, match="busy"):
        pipeline.run_step(settings, "archive", run.id)
