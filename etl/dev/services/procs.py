"""Process bookkeeping for embedded services: pid files, port checks, waiting and stopping. Reads no settings."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from etl.core.errors import ServiceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PidRecord:
    """What a pid file says about a process we started (`started`: seconds after boot, see started_after_boot)."""

    name: str
    pid: int
    started: float
    ports: tuple[int, ...]
    url: str

    @classmethod
    def of(cls, name: str, pid: int, ports: tuple[int, ...], url: str) -> PidRecord:
        """The record of a running process."""
        return cls(name, pid, started_after_boot(psutil.Process(pid)), ports, url)

    def process(self) -> psutil.Process | None:
        """Return the live process if it is still the one we started, else None."""
        try:
            proc = psutil.Process(self.pid)
            if abs(started_after_boot(proc) - self.started) > 1.0 or proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except psutil.Error:
            return None


def started_after_boot(proc: psutil.Process) -> float:
    """When a process started, in seconds after boot.

    Not `create_time()` alone: that adds the boot time, which moves whenever the wall clock is stepped (a
    resumed virtual machine, NTP), and a live server would then look like a stranger's process.
    """
    return proc.create_time() - psutil.boot_time()


def write_pid(path: Path, record: PidRecord) -> None:
    """Write a pid file atomically."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(record)), encoding="utf-8")
    tmp.replace(path)


def read_pid(path: Path) -> PidRecord | None:
    """Read a pid file; None when absent or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return PidRecord(
            name=data["name"],
            pid=int(data["pid"]),
            started=float(data["started"]) if "started" in data
            else float(data["create_time"]) - psutil.boot_time(),  # a pid file written before `started`
            ports=tuple(int(p) for p in data["ports"]),
            url=str(data["url"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Tell whether something already listens on host:port (or the port cannot be bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def require_free_ports(service: str, ports: Iterable[int]) -> None:
    """Fail with one line naming the first port that is already taken."""
    for port in ports:
        if port_in_use(port):
            raise ServiceError(
                f"cannot start {service}: port {port} on 127.0.0.1 is already in use "
                "(stop what uses it or choose other ports in the settings)"
            )


def free_port_block(count: int, start: int = 20000, stop: int = 45000, step: int = 1) -> int:
    """Return a base port such that base..base+count-1 (and +10000 for gRPC) are all free; for tests.

    Callers pick ranges below 32768, where Linux hands out no ephemeral client ports.
    """
    rng = range(start, stop, max(step, count + 1))
    offset = os.getpid() % 997
    candidates = list(rng)
    for index in range(len(candidates)):
        base = candidates[(index + offset) % len(candidates)]
        ports = [base + i for i in range(count)] + [base + i + 10000 for i in range(count)]
        if all(p < 65536 and not port_in_use(p) for p in ports):
            return base
    raise ServiceError("no free block of ports found on 127.0.0.1")


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.2) -> None:
    """Poll `check` until it returns True or fail after `timeout` seconds with a message naming `what`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # the service is not ready yet; remember why
            last_error = exc
        time.sleep(interval)
    detail = f": {last_error}" if last_error else ""
    raise ServiceError(f"{what} did not become ready within {timeout:.0f} s{detail}")


def stop_process(record: PidRecord, timeout: float = 20.0) -> bool:
    """Stop the process group of a process we started: SIGTERM, wait, then SIGKILL. True if it was running."""
    proc = record.process()
    if proc is None:
        return False
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        return False
    targets = [proc, *proc.children(recursive=True)]
    own_group = pgid == proc.pid
    log.info("stopping %s (pid %s)", record.name, proc.pid)
    _signal(proc.pid, pgid if own_group else None, signal.SIGTERM)
    _, alive = psutil.wait_procs(targets, timeout=timeout)
    for leftover in alive:
        log.warning("%s pid %s did not stop in %.0f s; killing it", record.name, leftover.pid, timeout)
        try:
            leftover.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5)
    return True


def _signal(pid: int, pgid: int | None, sig: signal.Signals) -> None:
    try:
        if pgid is not None:
            os.killpg(pgid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass
