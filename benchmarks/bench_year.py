"""Year-scale benchmark: `newsarchive backfill --source all` over a generated replay of N days x 8 sources x
~150 articles a day (benchmarks/yeargen.py), side by side with today's backfill on the same days.

Both sides run as `newsarchive backfill --source all --start D1 --end DN` child processes, one after the other,
against the same embedded PostgreSQL and SeaweedFS (fresh, private state dir) and the same replay server (its
own process: `newsarchive replay-site --root`), politeness off (NEWSARCHIVE_DOWNLOAD_DELAY=0,
NEWSARCHIVE_AUTOTHROTTLE=0, no backoff pauses):

* ours: the code of this checkout;
* baseline, "today's backfill": commit BASELINE_COMMIT (main before issue 13), checked out with
  `git worktree add --detach` into a temporary folder (removed afterwards).

Every run gets a fresh database (migrated by that side's own code) and bucket. With several rounds the runs go
in ABBA order (ours, baseline, baseline, ours, ...) so drifting machine load falls on both sides alike; a side's
figures are its rounds together. Quick mode: QUICK_DAYS day(s), one round; full: FULL_DAYS days, two rounds.

Reported per side: articles loaded per second of wall time (crawl to health, end to end), peak RSS of the
backfill's process tree (the CLI and its crawl children, sampled every 0.2 s), CPU seconds of that tree, of the
embedded PostgreSQL and SeaweedFS and of the replay site, database growth and S3 bytes per
1,000 articles, and the extrapolation to one year (8 sources x 365 days at the measured articles per
source-day). Target `backfill_speedup`: ours / baseline articles per second (goal 5).

Usage: .venv/bin/python benchmarks/bench_year.py [--days 1] [--rounds 1] [--no-baseline] [--logs DIR]
Not a test: nothing here asserts a time. Figures go to docs/benchmarks.md through benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from benchmarks import yeargen  # noqa: E402
from benchmarks.targets import Target  # noqa: E402
from etl.core.config import Settings  # noqa: E402
from etl.dev.local import replay_overrides  # noqa: E402
from etl.dev.services import manager, postgres  # noqa: E402
from etl.dev.services.procs import free_port_block, wait_until  # noqa: E402
from etl.store import s3  # noqa: E402
from etl.store.db import raw_connection  # noqa: E402

BASELINE_COMMIT = "706d8d9"
START = date(2026, 2, 2)
QUICK_DAYS = 1
FULL_DAYS = 7
SOURCES_PER_DAY = len(yeargen.SOURCES)
YEAR_SOURCE_DAYS = SOURCES_PER_DAY * 365


@dataclasses.dataclass(frozen=True)
class Side:
    """One backfill run and what it left."""

    label: str
    seconds: float
    exit_status: int
    articles: int
    peak_rss_bytes: int
    cpu_seconds: float
    replay_cpu_seconds: float
    services_cpu_seconds: float
    db_bytes: int
    s3_bytes: int
    s3_objects: int
    problems: str
    runs: int = 1

    @property
    def rate(self) -> float:
        """Articles loaded per second of wall time."""
        return self.articles / self.seconds if self.seconds else 0.0

    def per_thousand(self, size: int) -> float:
        """Bytes per 1,000 articles."""
        return size / self.articles * 1000 if self.articles else 0.0

    def summary(self, source_days: int, generated: int) -> dict[str, str]:
        """The side's figures, with the extrapolation to a year (`source_days` and `generated` articles a run)."""
        per_source_day = self.articles / self.runs / source_days if source_days else 0.0
        year_articles = per_source_day * YEAR_SOURCE_DAYS
        year_hours = year_articles / self.rate / 3600 if self.rate else float("inf")
        prefix = self.label
        figures = {
            f"{prefix}: loaded": f"{self.articles / self.runs:.0f} of {generated} generated articles a run",
            f"{prefix}: articles/s": f"{self.rate:.1f} ({self.articles} articles in {self.seconds:.1f} s over "
                                     f"{self.runs} run(s), exit status {self.exit_status})",
            f"{prefix}: peak RSS (process tree)": f"{self.peak_rss_bytes / 2**20:.0f} MiB",
            f"{prefix}: CPU": f"backfill and its crawls {self.cpu_seconds:.0f} s, PostgreSQL and SeaweedFS "
                              f"{self.services_cpu_seconds:.0f} s, replay site {self.replay_cpu_seconds:.0f} s, "
                              f"over {self.seconds:.0f} s of wall time on {os.cpu_count()} CPUs",
            f"{prefix}: database per 1,000 articles": f"{self.per_thousand(self.db_bytes) / 2**20:.1f} MiB",
            f"{prefix}: S3 per 1,000 articles": f"{self.per_thousand(self.s3_bytes) / 2**20:.1f} MiB "
                                                f"({self.s3_objects} objects)",
            f"{prefix}: one year (8 sources x 365 days, {year_articles:,.0f} articles)":
                f"{year_hours:.1f} h, database {self.per_thousand(self.db_bytes) * year_articles / 1000 / 2**30:.1f} GiB, "
                f"S3 {self.per_thousand(self.s3_bytes) * year_articles / 1000 / 2**30:.1f} GiB",
        }
        if self.problems:
            figures[f"{prefix}: problems"] = self.problems[:300]
        return figures


def database_size(url: str) -> int:
    """Bytes of the database `url` names."""
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_database_size(current_database())")
        return int(cur.fetchone()[0])


def count_articles(url: str) -> int:
    """Articles in the archive of `url`."""
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM articles")
        return int(cur.fetchone()[0])


def bucket_size(settings: Settings) -> tuple[int, int]:
    """Total bytes and number of objects in the settings' bucket."""
    client = s3.client(settings)
    total = count = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings.s3_bucket):
        for item in page.get("Contents", []):
            total += int(item["Size"])
            count += 1
    return total, count


class PeakRss:
    """Samples the RSS of a process and all its descendants every `interval` seconds; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        total = 0
        for proc in procs:
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            self.peak = max(self.peak, self._sample())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def backfill_env(settings: Settings, replay_url: str, state_dir: Path, code: Path) -> dict[str, str]:
    """The environment of one side's backfill: its services, database, bucket, replay overrides, no politeness."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NEWSARCHIVE_", "AIRFLOW__")) and k not in ("DATABASE_URL", "S3_ENDPOINT_URL",
                                                                          "S3_BUCKET", "PYTHONPATH")}
    env.update(manager.service_env(settings))
    env.update({
        "NEWSARCHIVE_STATE_DIR": str(state_dir),
        "NEWSARCHIVE_HOST_OVERRIDES": replay_overrides(replay_url),
        "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
        "NEWSARCHIVE_AUTOTHROTTLE": "0",
        "NEWSARCHIVE_BACKOFF": "0",
        "NEWSARCHIVE_BLOCK_BACKOFF": "0",
        "PYTHONPATH": str(code),
    })
    return env


@dataclasses.dataclass(frozen=True)
class Replay:
    """The replay site's process."""

    url: str
    pid: int


def cpu_of(pids: list[int]) -> float:
    """User + system CPU so far of processes `pids`, with their exited children's and their live children's."""
    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
            for child in proc.children(recursive=True):
                times = child.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def service_pids(settings: Settings) -> list[int]:
    """The embedded PostgreSQL's and SeaweedFS's process ids."""
    unresolved = dataclasses.replace(settings, database_url=None, s3_endpoint_url=None)
    return [item.pid for item in manager.status(unresolved) if item.pid]


def _children_cpu() -> float:
    """User + system CPU of this process's waited-for descendants so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_side(label: str, code: Path, settings: Settings, replay: Replay, services: list[int], days: list[date],
             scratch: Path) -> Side:
    """Run `newsarchive backfill --source all` from the checkout `code` and measure it."""
    url = settings.require_database_url()
    s3.ensure_bucket(settings)
    before = database_size(url)
    env = backfill_env(settings, replay.url, scratch / f"state-{label}", code)
    command = [sys.executable, "-m", "etl.cli.main", "backfill", "--source", "all",
               "--start", days[0].isoformat(), "--end", days[-1].isoformat()]
    log = scratch / f"backfill-{label}.log"
    print(f"[{label}] {' '.join(command[2:])} (log {log})", flush=True)
    cpu, replay_cpu, services_cpu = _children_cpu(), cpu_of([replay.pid]), cpu_of(services)
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT)
        with PeakRss(proc.pid) as rss:
            status = proc.wait()
    seconds = time.perf_counter() - started
    cpu, replay_cpu, services_cpu = (_children_cpu() - cpu, cpu_of([replay.pid]) - replay_cpu,
                                     cpu_of(services) - services_cpu)
    problems = ""
    if status != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        problems = " | ".join(line for line in tail if line.strip())
    size, objects = bucket_size(settings)
    side = Side(label, seconds, status, count_articles(url), rss.peak, cpu, replay_cpu, services_cpu,
                database_size(url) - before, size, objects, problems)
    print(f"[{label}] {side.articles} articles in {side.seconds:.1f} s = {side.rate:.1f} articles/s, "
          f"peak RSS {side.peak_rss_bytes / 2**20:.0f} MiB, exit {status}", flush=True)
    return side


@contextmanager
def replay_site(root: Path, scratch: Path) -> Iterator[Replay]:
    """`newsarchive replay-site --root ROOT` in its own process (its serving never competes with this
    process's sampling thread for the GIL); stopped afterwards."""
    port = free_port_block(1, start=20000, stop=32000)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(REPO),
                                                                       "NEWSARCHIVE_STATE_DIR": str(scratch)}
    with (scratch / "replay.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "etl.cli.main", "replay-site", "--root", str(root),
                                 "--port", str(port)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: _accepts(port) or proc.poll() is not None, 60, "the replay site")
        if proc.poll() is not None:
            raise RuntimeError(f"the replay site exited with status {proc.returncode}; see {scratch / 'replay.log'}")
        yield Replay(f"http://127.0.0.1:{port}", proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _accepts(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def baseline_checkout(scratch: Path) -> Iterator[Path]:
    """A detached worktree of BASELINE_COMMIT, removed afterwards."""
    path = scratch / "baseline"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(path), BASELINE_COMMIT],
                   check=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(path)], check=False)


def side_settings(settings: Settings, code: Path, name: str) -> Settings:
    """A database `name` (migrated by the code at `code`) and bucket `bench-<name>` on the same servers."""
    base_dir = settings.state_dir / "postgres"
    postgres.ensure_database(settings.pg_port, base_dir, name)
    side = dataclasses.replace(settings, database_url=postgres.database_url(settings.pg_port, base_dir, name),
                               s3_bucket=f"bench-{name.replace('_', '-')}")
    env = backfill_env(side, "http://127.0.0.1:1", settings.state_dir / f"migrate-{name}", code)
    done = subprocess.run([sys.executable, "-m", "etl.cli.main", "migrate"], cwd=code, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"migrate of {name} failed: {done.stderr.strip().splitlines()[-1:]}")
    return side


def combine(label: str, sides: list[Side]) -> Side:
    """The rounds of one side as one: times, articles, CPU and sizes summed, the highest peak RSS."""
    return Side(label, sum(s.seconds for s in sides), max(s.exit_status for s in sides),
                sum(s.articles for s in sides), max(s.peak_rss_bytes for s in sides),
                sum(s.cpu_seconds for s in sides), sum(s.replay_cpu_seconds for s in sides),
                sum(s.services_cpu_seconds for s in sides),
                sum(s.db_bytes for s in sides), sum(s.s3_bytes for s in sides), sum(s.s3_objects for s in sides),
                " | ".join(s.problems for s in sides if s.problems), len(sides))


def order(rounds: int, baseline: bool) -> list[str]:
    """The runs, ABBA: ours then the baseline in the first round, the baseline then ours in the second, ...
    (drifting machine load falls on both sides alike; with one round, any warm-up of fresh servers falls on ours,
    so the ratio errs low)."""
    if not baseline:
        return ["ours"] * rounds
    return [label for r in range(rounds) for label in (("ours", "baseline") if r % 2 == 0 else ("baseline", "ours"))]


def measure(days_n: int, rounds: int = 1, baseline: bool = True,
            logs: Path | None = None) -> tuple[yeargen.Generated, Side, Side | None]:
    """Generate the days; run the baseline (unless told not to) and ours `rounds` times each, every run on a
    fresh database and bucket; keep the backfill logs in `logs`."""
    with tempfile.TemporaryDirectory(prefix="newsarchive-year-") as tmp:
        scratch = Path(tmp)
        started = time.perf_counter()
        made = yeargen.generate(scratch / "site", START, days_n)
        print(f"generated {made.articles} articles ({made.republished}), {made.page_bytes / 2**20:.0f} MiB in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        runs: dict[str, list[Side]] = {"baseline": [], "ours": []}
        with ExitStack() as stack:
            settings = stack.enter_context(manager.ephemeral("newsarchive-bench-year-"))
            replay = stack.enter_context(replay_site(made.root, scratch))
            code = {"ours": REPO}
            if baseline:
                code["baseline"] = stack.enter_context(baseline_checkout(scratch))
            for label in order(rounds, baseline):
                name = f"{label}_{len(runs[label]) + 1}"
                side = side_settings(settings, code[label], name)
                runs[label].append(run_side(name, code[label], side, replay, service_pids(settings), made.days,
                                            scratch))
        if logs is not None:
            logs.mkdir(parents=True, exist_ok=True)
            for log in scratch.glob("backfill-*.log"):
                shutil.copy(log, logs / log.name)
    base = combine(f"baseline {BASELINE_COMMIT}", runs["baseline"]) if baseline else None
    return made, combine("ours", runs["ours"]), base


def target(made: yeargen.Generated, ours: Side, base: Side | None) -> Target:
    """`backfill_speedup`: ours over baseline articles per second, with every figure of both sides."""
    source_days = len(made.days) * SOURCES_PER_DAY
    figures = {
        "data": f"{len(made.days)} generated days ({made.days[0]}..{made.days[-1]}) x {SOURCES_PER_DAY} sources, "
                f"{made.articles} articles ({made.republished['exact']} exact and {made.republished['near']} near "
                f"republications), pages 50-150 KB ({made.page_bytes / made.files / 1024:.0f} KB a file on average)",
        **ours.summary(source_days, made.articles),
    }
    if base is None:
        return Target("backfill_speedup", 0.0, 5.0, detail="baseline not run (--no-baseline)", figures=figures)
    figures.update(base.summary(source_days, made.articles))
    if ours.cpu_seconds and base.articles and ours.articles:
        per_article = (base.cpu_seconds / base.articles) / (ours.cpu_seconds / ours.articles)
        figures["CPU per article of the backfill tree, baseline / ours"] = (
            f"{per_article:.2f}x (less sensitive than wall time to other jobs on the machine)")
    ratio = ours.rate / base.rate if base.rate else 0.0
    detail = (f"end-to-end replay backfill, {ours.rate:.1f} vs {base.rate:.1f} articles/s (today's backfill at "
              f"{BASELINE_COMMIT}), {len(made.days)} day(s) x {SOURCES_PER_DAY} sources, politeness off, "
              f"{base.runs} run(s) each")
    return Target("backfill_speedup", ratio, 5.0, detail=detail, figures=figures)


def targets(quick: bool) -> list[Target]:
    """The year-scale target: QUICK_DAYS generated days, one round, in quick mode; FULL_DAYS, two rounds, else."""
    made, ours, base = measure(QUICK_DAYS, 1) if quick else measure(FULL_DAYS, 2)
    return [target(made, ours, base)]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=QUICK_DAYS, help="generated days (x 8 sources x ~150 articles)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each side, in ABBA order (default 1)")
    parser.add_argument("--no-baseline", action="store_true", help="run our backfill only")
    parser.add_argument("--logs", type=Path, help="keep the backfill logs in this folder")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up (servers, checkout) when stopped
    made, ours, base = measure(args.days, args.rounds, baseline=not args.no_baseline, logs=args.logs)
    result = target(made, ours, base)
    for key, value in result.figures.items():
        print(f"{key}: {value}")
    print(result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
