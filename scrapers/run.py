"""Run crawls in a Scrapy subprocess and check what each left behind.

Without a session, each `run_crawl` is one fresh `python -m scrapy crawl` process. Inside `crawl_session()`
(what `backfill` and `ingest` open), every crawl goes to one long-lived `python -m scrapers.serve` process
(started on first use, started again if it died or was stopped): the same arguments, settings, WARC, manifest
and log per run, without importing Scrapy again for every source-day. Crawls asked for from several threads of
one session (etl/steps/parallel.py: one thread per group of sources sharing no host) run at the same time in
that process, up to crawl_parallel of them.

Reads (from the etl.core.config.Settings it is given): crawl_timeout, crawl_parallel, state_dir (the session's
process log), and whatever scrapers.settings.crawl_settings turns into Scrapy settings (passed with `-s`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from etl.core.errors import PipelineError
from scrapers.settings import crawl_settings

if TYPE_CHECKING:
    from etl.core.config import Settings
    from etl.sources import Source

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
_RUN_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_STOP_GRACE_SECONDS = 20.0
_LOG_TAIL_LINES = 20
T = TypeVar("T")


@dataclass(frozen=True)
class CrawlOutput:
    """What a finished crawl produced: the WARC, its manifest, the manifest counts and the crawl log."""

    warc_path: Path
    manifest_path: Path
    counts: dict[str, int]
    log_path: Path


def crawl_paths(run_dir: Path, run_key: str) -> tuple[Path, Path, Path]:
    """Return the (WARC, manifest, log) paths of a run."""
    return (
        run_dir / f"{run_key}.warc.gz",
        run_dir / f"{run_key}.manifest.json",
        run_dir / f"{run_key}.crawl.log",
    )


def log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last `lines` lines of a log file (empty when there is none)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def crawl_job(
    source: Source,
    start: datetime,
    end: datetime,
    run_key: str,
    settings: Settings,
    warc_path: Path,
    manifest_path: Path,
    known_ids_file: Path | None,
    refetch: bool,
    probe: int = 0,
) -> tuple[dict[str, str], dict[str, str]]:
    """The spider arguments (`-a`, empty ones left out) and Scrapy settings (`-s`) of one run."""
    args = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "run_key": run_key,
        "known_ids_file": str(known_ids_file) if known_ids_file else "",
        "refetch": "1" if refetch else "0",
        "probe": str(probe) if probe else "",
        "max_pages": "1" if probe else "",  # a probe reads the first page of each listing only
    }
    values = {
        **crawl_settings(settings, source),
        "NEWSARCHIVE_WARC_PATH": str(warc_path),
        "NEWSARCHIVE_MANIFEST_PATH": str(manifest_path),
    }
    return {name: value for name, value in args.items() if value}, values


def crawl_command(spider: str, args: dict[str, str], values: dict[str, str]) -> list[str]:
    """The `scrapy crawl` command line of one run, from its `crawl_job` arguments and settings."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in args.items():
        command += ["-a", f"{name}={value}"]
    for name, setting in values.items():
        command += ["-s", f"{name}={setting}"]
    return command


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ask the crawl process to shut down (SIGTERM: Scrapy closes the spider), then kill it if it does not;
    a second interrupt while waiting kills it at once (never leave the child crawling on its own)."""
    for send, grace in ((process.terminate, _STOP_GRACE_SECONDS), (process.kill, 5.0)):
        if process.poll() is not None:
            return
        send()
        try:
            process.wait(timeout=grace)
            return
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            continue


def _fail(message: str, log_path: Path) -> PipelineError:
    tail = log_tail(log_path)
    return PipelineError(
        f"{message} (log: {log_path})" + (f"\n--- crawl log tail ---\n{tail}" if tail else "")
    )


def _crawl_in_subprocess(command: list[str], env: dict[str, str], log_path: Path, timeout: int, run_key: str) -> None:
    """Run one `scrapy crawl` command to its end; raise PipelineError when it timed out, failed or was killed."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise _fail(f"crawl {run_key} timed out after {timeout} s and was stopped", log_path) from None
        except BaseException:
            _stop(process)
            raise
    if returncode < 0:
        raise _fail(f"crawl {run_key} was killed by signal {-returncode}", log_path)
    if returncode != 0:
        raise _fail(f"crawl {run_key} exited with status {returncode}", log_path)


class CrawlProcess:
    """One long-lived `python -m scrapers.serve` process running crawls (see scrapers/serve.py), up to `parallel`
    at once (each caller thread waits for its own crawl; callers never run two crawls of one source at once).

    Started on the first crawl. A crawl that times out is cancelled alone (its spider closes), and the process
    is stopped only if it does not end; an interrupt (`interrupt`, or one raised in a waiting caller) stops the
    process (SIGTERM, as for a `scrapy crawl` child) and every crawl still waiting raises KeyboardInterrupt. The
    next crawl starts a new process. Its own log (start-up, warnings) is `log_path`.
    """

    def __init__(self, log_path: Path, parallel: int = 1) -> None:
        self.log_path = log_path
        self.parallel = max(1, parallel)
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0  # processes started, for tests and benchmarks
        self.interrupted: str | None = None  # why the session was interrupted (crawls still waiting raise)
        self._slots = threading.BoundedSemaphore(self.parallel)
        self._lock = threading.Condition()
        self._replies: dict[str, dict[str, object]] = {}  # run key -> its reply, until its caller takes it
        self._ended: set[int] = set()  # pids of processes whose output ended

    def _ensure(self, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """The running process (under `_lock`), started if there is none or it died."""
        if self.process is not None and self.process.poll() is None and self.process.pid not in self._ended:
            return self.process
        if self.process is not None:
            self._stop_locked()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [sys.executable, "-m", "scrapers.serve"],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                bufsize=0,
            )
        self.process = process
        self.started += 1
        threading.Thread(target=self._read, args=(process,), name=f"crawl-replies-{process.pid}",
                         daemon=True).start()
        logger.info("started crawl process %s (log %s)", process.pid, self.log_path)
        return process

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        """Hand each reply line of `process` to its waiting caller; mark the process ended at end of output."""
        assert process.stdout is not None
        try:
            for line in process.stdout:
                try:
                    reply = json.loads(line)
                except ValueError:
                    logger.warning("crawl process %s: unreadable reply %r", process.pid, line[:200])
                    continue
                with self._lock:
                    self._replies[str(reply.get("run_key", ""))] = reply
                    self._lock.notify_all()
        except (OSError, ValueError):
            pass  # the pipe was closed by stop()
        finally:
            with self._lock:
                self._ended.add(process.pid)
                self._lock.notify_all()

    def _wait(self, process: subprocess.Popen[bytes], run_key: str, deadline: float) -> dict[str, object] | None:
        """The reply of `run_key`, or None when the process ended first; TimeoutError past `deadline`."""
        with self._lock:
            while run_key not in self._replies:
                if process.pid in self._ended or self.process is not process:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                self._lock.wait(remaining)
            return self._replies.pop(run_key)

    def _send(self, process: subprocess.Popen[bytes], message: dict[str, object]) -> None:
        assert process.stdin is not None
        process.stdin.write((json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8"))
        process.stdin.flush()

    def crawl(self, spider: str, args: dict[str, str], values: dict[str, str], log_path: Path,
              env: dict[str, str], timeout: int, run_key: str) -> None:
        """Run one crawl in the process (waiting for a free slot first); raise PipelineError when it timed out,
        could not run or the process died, KeyboardInterrupt when the session was interrupted."""
        with self._slots:
            self._crawl(spider, args, values, log_path, env, timeout, run_key)

    def _crawl(self, spider: str, args: dict[str, str], values: dict[str, str], log_path: Path,
               env: dict[str, str], timeout: int, run_key: str) -> None:
        job: dict[str, object] = {"spider": spider, "args": args, "settings": values, "log": str(log_path)}
        with self._lock:
            if self.interrupted:
                raise KeyboardInterrupt(self.interrupted)
            process = self._ensure(env)
            self._replies.pop(run_key, None)
            try:
                self._send(process, job)
            except BrokenPipeError:
                self._ended.add(process.pid)
        try:
            reply = self._wait(process, run_key, time.monotonic() + timeout)
        except TimeoutError:
            reply = self._cancel(process, run_key)
            raise _fail(f"crawl {run_key} timed out after {timeout} s and was "
                        + ("stopped" if reply is not None else "stopped with the crawl process"), log_path) from None
        except BaseException as exc:
            self.interrupt(str(exc) or type(exc).__name__)
            raise
        if reply is None:
            if self.interrupted:
                raise KeyboardInterrupt(self.interrupted)
            with self._lock:
                if self.process is process:
                    self._stop_locked()
            status = process.returncode
            how = f"was killed by signal {-status}" if status and status < 0 else f"exited with status {status}"
            raise _fail(f"crawl {run_key}: the crawl process {how} (its log: {self.log_path})", log_path)
        if reply.get("error"):
            raise _fail(f"crawl {run_key} could not run: {reply['error']}", log_path)

    def _cancel(self, process: subprocess.Popen[bytes], run_key: str) -> dict[str, object] | None:
        """Stop one crawl that ran out of time; stop the whole process when it does not end within the grace."""
        try:
            with self._lock:
                self._send(process, {"cancel": run_key})
            reply = self._wait(process, run_key, time.monotonic() + _STOP_GRACE_SECONDS)
        except (TimeoutError, OSError):
            reply = None
        if reply is None:
            with self._lock:
                if self.process is process:
                    self._stop_locked()
        return reply

    def interrupt(self, why: str) -> None:
        """Stop the process now; every crawl still waiting raises KeyboardInterrupt(`why`), and so does every
        crawl asked for later in this session."""
        with self._lock:
            self.interrupted = self.interrupted or why
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self.process is not None:
            process, self.process = self.process, None
            _stop(process)
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
            self._ended.add(process.pid)
            self._lock.notify_all()

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL), if it runs."""
        with self._lock:
            self._stop_locked()

    def close(self) -> None:
        """End the process the quiet way (end of its input, it finishes its crawls), stopping it if it does not
        end soon."""
        with self._lock:
            process = self.process
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=_STOP_GRACE_SECONDS)
        except (subprocess.TimeoutExpired, OSError):
            pass
        finally:
            self.stop()
        with contextlib.suppress(OSError):
            if self.log_path.stat().st_size == 0:  # nothing went wrong outside the runs' own logs
                self.log_path.unlink()


_SESSION: ContextVar[CrawlProcess | None] = ContextVar("crawl_session", default=None)


def in_session(session: CrawlProcess) -> Callable[[Callable[[], T]], T]:
    """A runner for other threads: `in_session(s)(work)` runs `work()` with `s` as its thread's session."""

    def run(work: Callable[[], T]) -> T:
        token = _SESSION.set(session)
        try:
            return work()
        finally:
            _SESSION.reset(token)

    return run


@contextmanager
def crawl_session(settings: Settings) -> Iterator[CrawlProcess]:
    """Within the block, every `run_crawl` of this thread goes to one long-lived crawl process (an enclosing
    session's, if there is one), up to `settings.crawl_parallel` crawls at once when several threads crawl
    (see `session_threads`); the process ends with the block."""
    current = _SESSION.get()
    if current is not None:
        yield current
        return
    session = CrawlProcess(settings.state_dir / "work" / f"crawl-process-{os.getpid()}.log",
                           settings.crawl_parallel)
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)
        session.close()


def run_crawl(
    source: Source,
    start: datetime,
    end: datetime,
    run_dir: Path,
    run_key: str,
    settings: Settings,
    known_ids: Iterable[str] = (),
    refetch: bool = False,
    probe: int = 0,
) -> CrawlOutput:
    """Crawl `source` for [start, end) into `run_dir` in a subprocess; raise PipelineError if it did not finish.

    `probe` > 0: probe mode (fetch at most that many articles of any date, count what each discovery method
    finds into the manifest's `probe`)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("run_crawl: start and end must be timezone-aware")
    if end <= start:
        raise ValueError(f"run_crawl: end {end.isoformat()} is not after start {start.isoformat()}")
    if not _RUN_KEY_RE.match(run_key):
        raise ValueError(f"run_crawl: run_key {run_key!r} must be letters, digits, '.', '_' or '-'")
    run_dir = run_dir.absolute()
    run_dir.mkdir(parents=True, exist_ok=True)
    warc_path, manifest_path, log_path = crawl_paths(run_dir, run_key)
    for stale in (warc_path, manifest_path):
        for path in (stale, stale.with_name(stale.name + ".part")):
            path.unlink(missing_ok=True)

    ids = sorted({item.strip().lower() for item in known_ids if item.strip()})
    known_file: Path | None = None
    if ids:
        known_file = run_dir / f"{run_key}.known_ids.txt"
        known_file.write_text("".join(f"{item}\n" for item in ids), encoding="utf-8")

    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = "scrapers.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO_ROOT), env.get("PYTHONPATH", ""))))
    session = _SESSION.get()
    logger.info("crawl %s %s: %s .. %s (%d known ids)%s", source.name, run_key, start, end, len(ids),
                " in the session's crawl process" if session else "")
    began = time.monotonic()
    args, values = crawl_job(source, start, end, run_key, settings, warc_path, manifest_path, known_file, refetch,
                             probe)
    if session is not None:
        session.crawl(source.spider, args, values, log_path, env, settings.crawl_timeout, run_key)
    else:
        _crawl_in_subprocess(crawl_command(source.spider, args, values), env, log_path, settings.crawl_timeout,
                             run_key)
    elapsed = time.monotonic() - began

    if not manifest_path.is_file():
        raise _fail(f"crawl {run_key} left no manifest {manifest_path.name}", log_path)
    if not warc_path.is_file():
        raise _fail(f"crawl {run_key} left no WARC {warc_path.name}", log_path)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        reason = manifest.get("finish_reason")
        counts = {str(key): int(value) for key, value in manifest["counts"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _fail(f"crawl {run_key}: unreadable manifest {manifest_path.name}: {exc}", log_path) from None
    if reason != "finished":
        raise _fail(f"crawl {run_key} did not finish (finish reason {reason!r})", log_path)
    logger.info(
        "crawl %s %s finished in %.1f s: %s",
        source.name,
        run_key,
        elapsed,
        " ".join(f"{key}={value}" for key, value in counts.items()),
    )
    return CrawlOutput(warc_path=warc_path, manifest_path=manifest_path, counts=counts, log_path=log_path)
