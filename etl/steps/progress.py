"""Plain-text progress for long commands (backfill): a day bar and an article counter on stderr.

Reads no settings. On a terminal the line is redrawn in place (carriage return); otherwise (logs, CI) one line
is written per change of step, so the output stays readable. While `DayProgress.routing_logs()` is active, log
lines for the same stream are written above the bar (the line is cleared first, then redrawn). While a crawl
runs, `ArticleWatcher` counts the article responses already written to the crawl's growing `.warc.gz.part` file
in the state directory.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)

_TARGET_RE = re.compile(rb"^WARC-Type: response\r?$.*?^WARC-Target-URI: <?([^\r\n>]+)", re.MULTILINE | re.DOTALL)


def bar(done: int, total: int, width: int = 24) -> str:
    """`[#####-----]` for done/total."""
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class DayProgress:
    """The `day i/n` bar plus the current step and article count of that day."""

    def __init__(self, stream: TextIO, total_days: int, label: str) -> None:
        self.stream = stream
        self.total = total_days
        self.label = label
        self.done = 0
        self.day: date | None = None
        self.step = ""
        self.articles = ""
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last = ""
        self._open = False  # a terminal line is drawn without its newline
        self._lock = threading.Lock()

    def start_day(self, index: int, day: date) -> None:
        """Day `index` (0-based) begins."""
        self.done, self.day, self.step, self.articles = index, day, "", ""
        self._draw()

    def set_step(self, step: str, articles: str = "") -> None:
        """The day moved to `step`; `articles` is the article counter text (e.g. `12 fetched`)."""
        self.step, self.articles = step, articles
        self._draw()

    def set_articles(self, text: str) -> None:
        """Update only the article counter."""
        if text != self.articles:
            self.articles = text
            self._draw(minor=True)

    def finish_day(self, outcome: str) -> None:
        """The day ended with `outcome` (`done`, `skipped`, `failed: ...`)."""
        self.done += 1
        self.step, self.articles = outcome, ""
        self._draw(final=True)

    def _draw(self, minor: bool = False, final: bool = False) -> None:
        day = self.day.isoformat() if self.day else "-"
        line = f"{self.label} {bar(self.done, self.total)} day {min(self.done + 1, self.total)}/{self.total} {day}"
        if final:
            line = f"{self.label} {bar(self.done, self.total)} {self.done}/{self.total} {day} {self.step}"
        elif self.step:
            line += f" {self.step}" + (f" | articles {self.articles}" if self.articles else "")
        with self._lock:
            if self.tty:
                self.stream.write("\r\x1b[2K" + line + ("\n" if final else ""))
                self._open = not final
            elif not minor and line != self._last:
                self.stream.write(line + "\n")
            self.stream.flush()
            self._last = line

    def write_above(self, text: str) -> int:
        """Write other output (a log line) so that the bar stays intact: clear it, write, draw it again."""
        with self._lock:
            if self._open:
                self.stream.write("\r\x1b[2K")
            self.stream.write(text)
            if self._open and text.endswith("\n"):
                self.stream.write(self._last)
            self.stream.flush()
        return len(text)

    @contextmanager
    def routing_logs(self) -> Iterator[None]:
        """While active, the logging handlers that write to this stream write through `write_above`."""
        handlers = [h for h in logging.getLogger().handlers
                    if isinstance(h, logging.StreamHandler) and h.stream is self.stream]
        for handler in handlers:
            handler.setStream(_Above(self))  # type: ignore[arg-type]
        try:
            yield
        finally:
            for handler in handlers:
                handler.setStream(self.stream)


class _Above(io.TextIOBase):
    """A text stream whose writes go above a DayProgress bar."""

    def __init__(self, progress: DayProgress) -> None:
        self.progress = progress

    def write(self, text: str) -> int:  # type: ignore[override]
        return self.progress.write_above(text)

    def flush(self) -> None:
        self.progress.stream.flush()


def count_article_responses(data: bytes, is_article: Callable[[str], bool]) -> tuple[int, int]:
    """Count complete gzip members of `data` that are responses for article URLs; return (count, bytes used)."""
    count, used = 0, 0
    while used < len(data):
        inflater = zlib.decompressobj(wbits=31)
        try:
            payload = inflater.decompress(data[used:], 4096)
        except zlib.error:
            break
        while not inflater.eof and inflater.unconsumed_tail:
            inflater.decompress(inflater.unconsumed_tail, 65536)
        if not inflater.eof:
            break  # the member is still being written
        consumed = len(data) - used - len(inflater.unused_data)
        match = _TARGET_RE.search(payload[:4096])
        if match and is_article(match.group(1).decode("utf-8", "replace")):
            count += 1
        used += consumed
    return count, used


class ArticleWatcher:
    """While a crawl runs, count article responses in the newest `.warc.gz.part` under `work_dir`."""

    def __init__(self, work_dir: Path, is_article: Callable[[str], bool], progress: DayProgress, interval: float = 0.5,
                 pattern: str = "*/*.warc.gz.part") -> None:
        self.work_dir = work_dir
        self.pattern = pattern  # the crawl's own file when other crawls write next to it
        self.is_article = is_article
        self.progress = progress
        self.interval = interval
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="article-watcher", daemon=True)
        self._started = time.time()

    def __enter__(self) -> ArticleWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _newest_part(self) -> Path | None:
        parts = [p for p in self.work_dir.glob(self.pattern) if p.stat().st_mtime >= self._started - 1]
        return max(parts, key=lambda p: p.stat().st_mtime) if parts else None

    def _run(self) -> None:
        path: Path | None = None
        offset, buffer = 0, b""
        while not self._stop.wait(self.interval):
            try:
                path = path or self._newest_part()
                if path is None:
                    continue
                with path.open("rb") as handle:
                    handle.seek(offset)
                    chunk = handle.read()
                offset += len(chunk)
                buffer += chunk
                found, used = count_article_responses(buffer, self.is_article)
                buffer = buffer[used:]
                self.count += found
                self.progress.set_articles(f"{self.count} fetched")
            except OSError:
                path, offset, buffer = None, 0, b""  # renamed when the crawl finished
