"""A long-lived crawl process: `python -m scrapers.serve` runs crawls in one Scrapy reactor, several at once.

scrapers/run.py starts it once for a whole `backfill` or multi-source `ingest` (a `crawl_session`) instead of one
`python -m scrapy crawl` process per source-day, so Scrapy, Twisted and the spiders are imported once. Protocol:
one JSON job a line on stdin, `{"spider": name, "args": {...}, "settings": {...}, "log": path}` (exactly the
`-a` arguments and `-s` settings of the `scrapy crawl` command of that run, built by `crawl_job`), or
`{"cancel": run_key}` (stop that crawl: its spider closes with reason `shutdown`); one JSON reply a line on the
original stdout, `{"run_key": ..., "error": null | "one line"}`, once that crawl has ended. Each job starts at
once, next to the crawls already running: the parent (scrapers/run.py) decides how many run together and never
sends two crawls of one source at once. Each crawl is its own Crawler with its own settings (its WARC, manifest,
download slots per host and politeness), so it leaves exactly what `scrapy crawl` leaves; its log records (those
naming its spider, and those logged while its own code runs) go to the job's `log` file. End of stdin ends the
process once the running crawls have ended; SIGTERM/SIGINT close the running spiders (reason `shutdown`, like
`scrapy crawl`) and end it, a second one stops it at once.

Reads SCRAPY_SETTINGS_MODULE (Scrapy's project settings, set by scrapers/run.py) and nothing else.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from contextvars import ContextVar
from typing import IO, Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor

logger = logging.getLogger(__name__)

#: The run key of the crawl whose code is running (each crawl runs in its own copy of the context).
_CURRENT: ContextVar[str | None] = ContextVar("current_crawl", default=None)


def _reply_channel() -> IO[str]:
    """Keep the real stdout for replies; anything else printed goes to stderr (never into the protocol)."""
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(reply_fd, "w", encoding="utf-8", buffering=1)


class _OneCrawl(logging.Filter):
    """Pass the records of one crawl: those naming its spider, else those logged while its code ran."""

    def __init__(self, run_key: str) -> None:
        super().__init__()
        self.run_key = run_key
        self.spider: object | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        spider = getattr(record, "spider", None)
        if spider is not None and self.spider is not None:
            return spider is self.spider
        return _CURRENT.get() == self.run_key


def _run_log(path: str, settings: Any, run_key: str) -> tuple[logging.Handler, _OneCrawl]:
    """A handler writing one crawl's log records to its own file, in Scrapy's format and level."""
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")))
    handler.setLevel(settings.get("LOG_LEVEL") or "INFO")
    only = _OneCrawl(run_key)
    handler.addFilter(only)
    return handler, only


class Server:
    """Reads jobs, runs each as its own Crawler in the one reactor (next to the running ones), answers one line
    per job when its crawl has ended."""

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
        self.running: dict[str, Crawler] = {}

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
        from twisted.internet.defer import DeferredList, ensureDeferred

        crawls: list[Any] = []
        try:
            while (line := await self._next_line()) is not None:
                if not line.strip():
                    continue
                job = json.loads(line)
                if "cancel" in job:
                    self._cancel(str(job["cancel"]))
                    continue
                crawls = [d for d in crawls if not d.called]
                crawls.append(ensureDeferred(self._crawl_and_reply(job)))  # its own copy of the context
            await DeferredList(crawls)  # end of input: let the running crawls end
        except Exception:
            logger.exception("the crawl process failed")
        finally:
            self.process._stop_reactor()

    def _cancel(self, run_key: str) -> None:
        from twisted.internet.defer import ensureDeferred

        crawler = self.running.get(run_key)
        if crawler is not None:
            logger.warning("crawl %s: stopping it (cancelled by the parent)", run_key)
            ensureDeferred(crawler.stop_async())

    async def _crawl_and_reply(self, job: dict[str, Any]) -> None:
        reply = await self._crawl(job)
        self.replies.write(json.dumps(reply, ensure_ascii=False) + "\n")
        self.replies.flush()

    async def _crawl(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one crawl to its end; the reply says why it could not start or failed (None: it ran)."""
        run_key = str(job.get("args", {}).get("run_key", ""))
        _CURRENT.set(run_key)
        settings = self.process.settings.copy()
        settings.setdict({str(k): v for k, v in job.get("settings", {}).items()}, priority="cmdline")
        handler, only = _run_log(str(job["log"]), settings, run_key)
        logging.root.addHandler(handler)
        try:
            spidercls = self.process.spider_loader.load(str(job["spider"]))
            crawler = Crawler(spidercls, settings)
            self.running[run_key] = crawler
            crawling = self.process.crawl(crawler, **job.get("args", {}))
            only.spider = crawler.spider
            await crawling
            error = None if crawler.spider is not None else "the spider was not created"
        except Exception as exc:
            logger.exception("crawl %s failed", run_key)
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        finally:
            self.running.pop(run_key, None)
            logging.root.removeHandler(handler)
            handler.close()
        return {"run_key": run_key, "error": error}


def main() -> int:
    """Entry point of `python -m scrapers.serve`."""
    Server(_reply_channel()).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
