"""Every step failure reaches the CLI as one line: the database going away after the crawl (a TCP relay in front
of the real PostgreSQL, cut once the run is crawled) makes `ingest` and `backfill` print one line and exit 1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from ops_support import REPO, reset

from etl.core.config import Settings
from etl.dev.local import replay_overrides
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer

pytestmark = pytest.mark.integration


class Relay:
    """Forwards 127.0.0.1:<port> to PostgreSQL until `cut`, which drops every connection and the listener."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass

    def cut(self) -> None:
        """The database is gone: close the listener and every relayed connection."""
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def _cut_when_crawled(url: str, relay: Relay, stop: threading.Event) -> None:
    while not stop.is_set():
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM crawl_runs WHERE status <> 'crawling'")
            if cur.fetchone()[0]:
                relay.cut()
                return
        time.sleep(0.02)


@pytest.mark.parametrize("command", [
    ["ingest", "--source", "kazinform", "--date", "2026-01-02"],
    ["backfill", "--source", "kazinform", "--start", "2026-01-02", "--end", "2026-01-02"],
])
def test_database_down_after_the_crawl_is_one_line_and_exit_1(settings: Settings, command: list[str]) -> None:
    reset(settings)
    url = settings.require_database_url()
    parts = urlsplit(url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    relayed = urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.port}", f":{relay.port}")))
    stop = threading.Event()
    watcher = threading.Thread(target=_cut_when_crawled, args=(url, relay, stop), daemon=True)
    with ReplayServer(DEFAULT_ROOT) as replay:
        env = {**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": relayed,
               "S3_ENDPOINT_URL": settings.s3_endpoint_url or "", "S3_BUCKET": settings.s3_bucket,
               "AWS_ACCESS_KEY_ID": settings.aws_access_key_id,
               "AWS_SECRET_ACCESS_KEY": settings.aws_secret_access_key,
               "NEWSARCHIVE_STATE_DIR": str(settings.state_dir), "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
               "NEWSARCHIVE_HOST_OVERRIDES": replay_overrides(replay.base_url)}
        watcher.start()
        try:
            done = subprocess.run([sys.executable, "-m", "etl.cli.main", *command], env=env, cwd=REPO,
                                  capture_output=True, text=True, timeout=300)
        finally:
            stop.set()
            relay.cut()
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    failures = [line for line in done.stderr.splitlines() if line.startswith("newsarchive: ")]
    assert len(failures) == 1 and failures[0].startswith("newsarchive: failed: "), done.stderr[-3000:]
    assert "connection" in failures[0] or "server" in failures[0], failures
    assert done.returncode == 1
