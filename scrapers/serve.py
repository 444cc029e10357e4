"""A long-lived crawl process: `python -m scrapers.serve` runs crawls one after another in one Scrapy reactor.

scrapers/run.py starts it once for a whole `backfill` or multi-day `ingest` (a `crawl_session`) instead of one
`python -m scrapy crawl` process per source-day, so Scrapy, Twisted and the spiders are imported once. Protocol:
one JSON job a line on stdin, `{"spider": name, "args": {...}, "settings": {...}, "log": path}` (exactly the
`-a` arguments and `-s` settings of the `scrapy crawl` command of that run, built by `crawl_command`); one JSON
reply a line on the original stdout, `{"run_key": ..., "error": null | "one line"}`, once the crawl has ended.
Each crawl is its own Crawler with its own settings (its WARC, manifest, host slots and politeness), so it
leaves exactly what `scrapy crawl` leaves; its log goes to the job's `log` file. Crawls never overlap: one
source-day after another, as before. End of stdin ends the process; SIGTERM/SIGINT close the running spider
(reason `shutdown`, like `scrapy crawl`) and end it, a second one stops it at once.

Reads SCRAPY_SETTINGS_MODULE (Scrapy's project settings, set by scrapers/run.py) and nothing else.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from typing import IO, Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor

logger = logging.getLogger(__name__)


def _reply_channel() -> IO[str]:
    """Keep the real stdout for replies; anything else printed goes to stderr (never into the protocol)."""
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(reply_fd, "w", encoding="utf-8", buffering=1)


def _run_log(path: str, settings: Any) -> logging.Handler:
    """A handler writing the crawl's log records to its own file, in Scrapy's format and level."""
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
    handler.setLevel(settings.get("LOG_LEVEL") or "INFO")
    return handler


class Server:
    """Reads jobs, runs each as its own Crawler in the one reactor, answers one line per job."""

    def __init__(self, replies: IO[str]) -> None:
        settings = get_project_settings()
        settings.set("LOG_INSTALL_ROOT_HANDLER", False)
        install_reactor(settings["TWISTED_REACTOR"], settings["ASYNCIO_EVENT_LOOP"])
        self.process = CrawlerProcess(settings)
        logging.root.setLevel(logging.INFO)
        errors = logging.StreamHandler(sys.stderr)
        errors.setLevel(logging.WARNING)
        logging.root.addHandler(errors)
        self.replies = replies

    def run(self) -> None:
        """Serve jobs until stdin ends or a signal stops the reactor."""
        from twisted.internet import reactor
        from twisted.internet.defer import Deferred, ensureDeferred

        def read_lines() -> None:  # a daemon thread: a blocked read never keeps the process alive
            for line in sys.stdin:
                reactor.callFromThread(self._queue.append, line)  # type: ignore[attr-defined]
                reactor.callFromThread(self._wake)  # type: ignore[attr-defined]
            reactor.callFromThread(self._queue.append, None)  # type: ignore[attr-defined]
            reactor.callFromThread(self._wake)  # type: ignore[attr-defined]

        self._queue: list[str | None] = []
        self._waiting: Deferred[None] | None = None
        threading.Thread(target=read_lines, name="jobs", daemon=True).start()
        reactor.callWhenRunning(lambda: ensureDeferred(self._serve()))  # type: ignore[attr-defined]
        self.process.start(stop_after_crawl=False)

    def _wake(self) -> None:
        if self._waiting is not None and not self._waiting.called:
            waiting, self._waiting = self._waiting, None
            waiting.callback(None)

    async def _next_line(self) -> str | None:
        from twisted.internet.defer import Deferred

        while not self._queue:
            self._waiting = Deferred()
            await self._waiting
        return self._queue.pop(0)

    async def _serve(self) -> None:
        try:
            while (line := await self._next_line()) is not None:
                if line.strip():
                    reply = await self._crawl(json.loads(line))
                    self.replies.write(json.dumps(reply, ensure_ascii=False) + "\n")
                    self.replies.flush()
        except Exception:
            logger.exception("the crawl process failed")
        finally:
            self.process._stop_reactor()

    async def _crawl(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one crawl to its end; the reply says why it could not start or failed (None: it ran)."""
        run_key = str(job.get("args", {}).get("run_key", ""))
        settings = self.process.settings.copy()
        settings.setdict({str(k): v for k, v in job.get("settings", {}).items()}, priority="cmdline")
        handler = _run_log(str(job["log"]), settings)
        logging.root.addHandler(handler)
        try:
            spidercls = self.process.spider_loader.load(str(job["spider"]))
            crawler = Crawler(spidercls, settings)
            await self.process.crawl(crawler, **job.get("args", {}))
            error = None if crawler.spider is not None else "the spider was not created"
        except Exception as exc:
            logger.exception("crawl %s failed", run_key)
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        finally:
            logging.root.removeHandler(handler)
            handler.close()
        return {"run_key": run_key, "error": error}


def main() -> int:
    """Entry point of `python -m scrapers.serve`."""
    Server(_reply_channel()).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
