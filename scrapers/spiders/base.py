"""Shared spider logic: the crawl interval, known article ids, per-host politeness, outcome counts, manifest.

Local dates and times printed without an offset are the source's (its spec's time zone), whatever the
pipeline's zone that chose the interval. Reads: NEWSARCHIVE_MANIFEST_PATH (where the manifest JSON goes once
the WARC is complete), NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED (close the
spider with reason `blocked` after that many blocked responses in a row; 0 = never),
NEWSARCHIVE_DOWNLOAD_DELAY (unset or empty: each host of the source waits the spec's `download_delay`; a
number: every host waits that long) and DOWNLOAD_SLOTS (a host already there keeps its entry).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from scrapers.middlewares import BLOCKED_META
from scrapers.warc import KIND_META, LISTED_META, RECORD_META, classify_status, warc_closed

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from twisted.python.failure import Failure

    from etl.sources import Source

logger = logging.getLogger(__name__)

_TRUE = frozenset({"1", "true", "yes", "on"})
#: After robots.txt and the host back-off on the way out; on the way back it frees the place before retries and
#: redirects make new requests.
SLOT_CONCURRENCY, SLOT_CONCURRENCY_ORDER = "scrapers.middlewares.SlotConcurrencyMiddleware", 900


def parse_instant(raw: str | datetime, name: str) -> datetime:
    """Parse an ISO datetime that carries a UTC offset; `name` is used in the error."""
    if isinstance(raw, datetime):
        value = raw
    else:
        text = raw.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"spider argument {name}: cannot read {raw!r} as an ISO datetime") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"spider argument {name}: {raw!s} has no UTC offset (e.g. 2026-01-01T00:00+05:00)")
    return value


def interval_dates(start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
    """Return the local dates that the interval [start, end) touches, in order."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def read_known_ids(path: str | Path) -> frozenset[str]:
    """Read article ids, one a line (blank lines and `#` comments ignored)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#")
    )


def host_slots(source: Source, override: float | None) -> dict[str, dict[str, Any]]:
    """Scrapy DOWNLOAD_SLOTS entries for the source's hosts: its delay (or `override`) and concurrency."""
    delay = source.download_delay if override is None else override
    return {host: {"delay": delay, "concurrency": source.concurrency_per_host, "jitter": 0.0} for host in source.hosts}


class ArchiveSpider(scrapy.Spider):
    """Base of the source spiders: they discover article URLs, fetch each once and yield no items."""

    source: ClassVar[Source]

    def __init__(
        self,
        start: str | datetime | None = None,
        end: str | datetime | None = None,
        run_key: str = "",
        known_ids_file: str = "",
        refetch: str | bool = False,
        max_pages: str | int = 50,
        probe: str | int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if start is None or end is None:
            raise ValueError(
                "spider arguments start and end are required, e.g. -a start=2026-01-01T00:00+05:00"
            )
        self.interval_start = parse_instant(start, "start")
        self.interval_end = parse_instant(end, "end")
        if self.interval_end <= self.interval_start:
            raise ValueError(f"spider arguments: end {end!s} is not after start {start!s}")
        self.run_key = run_key or f"{self.name}-{self.interval_start:%Y%m%dT%H%M%z}"
        self.known_ids = read_known_ids(known_ids_file) if known_ids_file else frozenset()
        self.refetch = refetch is True or str(refetch).strip().lower() in _TRUE
        self.max_pages = int(max_pages)
        #: Probe mode (`newsarchive probe`): fetch at most this many articles, whatever their dates, and record
        #: per discovery method the documents read, their links and the article URLs among them.
        self.probe = int(probe)
        self.found: dict[str, dict[str, int]] = {}
        self.tz = self.source.tz
        self.manifest_path: Path | None = None
        self.max_consecutive_blocked = 0
        self.in_interval: set[str] = set()
        self.out_interval: set[str] = set()
        self.skipped: set[str] = set()
        self.scheduled: set[str] = set()
        self.url_of_id: dict[str, str] = {}
        self.outcomes: Counter[str] = Counter()
        self.consecutive_blocked = 0

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Add the source's hosts to DOWNLOAD_SLOTS (each host's delay and concurrency from the spec) and the
        middleware that holds each host to its concurrency."""
        super().update_settings(settings)
        raw = settings.get("NEWSARCHIVE_DOWNLOAD_DELAY")
        override = None if raw is None or str(raw).strip() == "" else float(raw)
        slots = {**host_slots(cls.source, override), **settings.getdict("DOWNLOAD_SLOTS")}
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        middlewares = {**settings.getdict("DOWNLOADER_MIDDLEWARES"), SLOT_CONCURRENCY: SLOT_CONCURRENCY_ORDER}
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Create the spider, read its settings and listen for the finished WARC."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler.settings)
        crawler.signals.connect(spider.write_manifest, signal=warc_closed)
        return spider

    def configure(self, settings: BaseSettings) -> None:
        """Apply NEWSARCHIVE_MANIFEST_PATH and NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED."""
        manifest = settings.get("NEWSARCHIVE_MANIFEST_PATH") or ""
        self.manifest_path = Path(manifest).absolute() if manifest else None
        if self.manifest_path and not settings.get("NEWSARCHIVE_WARC_PATH"):
            raise ValueError("NEWSARCHIVE_MANIFEST_PATH is set but NEWSARCHIVE_WARC_PATH is not")
        self.max_consecutive_blocked = settings.getint("NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED", 10)

    # -- the interval and article URLs --------------------------------------------------------------

    def local_dates(self) -> list[date]:
        """Return the local dates the crawl interval covers (end exclusive)."""
        return interval_dates(self.interval_start, self.interval_end, self.tz)

    def in_interval_at(self, moment: datetime) -> bool:
        """Tell whether `moment` (naive means local time) lies in [start, end)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return self.interval_start <= moment < self.interval_end

    def article_url(self, url: str) -> str | None:
        """Return the canonical article URL for a link, or None when it is not an article of the source."""
        return self.source.canonical_url(url)

    def note(self, via: str, *, documents: int = 0, links: int = 0, articles: int = 0) -> None:
        """Add to the probe counts of discovery method `via` (documents read, links in them, article URLs)."""
        counts = self.found.setdefault(via, {"documents": 0, "links": 0, "articles": 0})
        counts["documents"] += documents
        counts["links"] += links
        counts["articles"] += articles

    def consider_article(self, url: str, published: datetime | None, via: str = "") -> scrapy.Request | None:
        """Count a discovered article URL; return its request when it is new, in the interval and not known.

        An article id seen before under another URL (e.g. Egemen's two URL schemes) counts as that URL. In probe
        mode every date counts and only the first `probe` articles are fetched.
        """
        if via:
            self.note(via, articles=1)
        article_id = (self.source.article_id(url) or "").lower()
        if article_id:
            url = self.url_of_id.setdefault(article_id, url)
        if self.probe and (url in self.scheduled or len(self.scheduled) >= self.probe):
            return None
        if published is not None and not self.probe and not self.in_interval_at(published):
            self.out_interval.add(url)
            return None
        self.in_interval.add(url)
        if url in self.scheduled or url in self.skipped:
            return None
        if article_id and article_id in self.known_ids and not self.refetch:
            self.skipped.add(url)
            return None
        self.scheduled.add(url)
        request = self.make_request(url, "article", self.parse_article)
        if published is not None:  # the extract step dates a page that shows no date by it
            aware = published if published.tzinfo is not None else published.replace(tzinfo=self.tz)
            request.meta[LISTED_META] = aware.isoformat()
        return request

    def make_request(
        self, url: str, kind: str, callback: Callable[..., Any], **cb_kwargs: Any
    ) -> scrapy.Request:
        """Build a request of the given kind (`feed`, `listing`, `article`, ...) with the shared errback."""
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, meta={KIND_META: kind}, cb_kwargs=cb_kwargs
        )

    # -- outcomes -----------------------------------------------------------------------------------

    def is_article_page(self, response: Response) -> bool:
        """Tell whether `response` looks like an article: a 200 HTML page with an `h1` or article metadata.

        The body containers are deliberately not required: after a redesign the extractor's fallback chain
        still recovers the body, so such pages must be archived and counted as articles, not dropped.
        """
        if response.status != 200 or not isinstance(response, TextResponse):
            return False
        if response.css("h1"):
            return True
        return any(response.css(selector) for selector in self.source.parser.markers)

    def parse_article(self, response: Response) -> None:
        """Record an article response as `ok` or `not_article` (the WARC already holds it)."""
        outcome = "ok" if self.is_article_page(response) else "not_article"
        self.set_outcome(response, outcome)
        record = response.meta.get(RECORD_META)
        if response.meta.get(LISTED_META) and isinstance(record, dict) and record.get("url") == response.url:
            record["listed_at"] = response.meta[LISTED_META]
        self.count(outcome)
        if outcome == "not_article":
            self.logger.warning("not an article page: %s", response.url)

    def on_error(self, failure: Failure) -> None:
        """Count a request that ended in an HTTP error, a block, a download error or a robots.txt refusal."""
        request = failure.request  # type: ignore[attr-defined]
        if isinstance(failure.value, HttpError):
            response = failure.value.response
            blocked = response.meta.get(BLOCKED_META) or classify_status(response.status) == "blocked"
            outcome = "blocked" if blocked else "http_error"
            self.set_outcome(response, outcome)
            self.logger.warning("%s (HTTP %d): %s", outcome, response.status, response.url)
        elif failure.check(IgnoreRequest):
            self.logger.info("not fetched (%s): %s", failure.value, request.url)
            self.crawler.stats.inc_value("newsarchive/ignored")
            return
        else:
            outcome = "http_error"
            self.logger.warning("download failed: %s: %s", request.url, failure.getErrorMessage())
        self.count(outcome)

    def set_outcome(self, response: Response, outcome: str) -> None:
        """Write `outcome` into the manifest row of this response, if the WARC writer made one."""
        record = response.meta.get(RECORD_META)
        if isinstance(record, dict) and record.get("url") == response.url:
            record["outcome"] = outcome

    def count(self, outcome: str) -> None:
        """Count a final outcome; close the spider after too many blocked responses in a row."""
        self.outcomes[outcome] += 1
        if outcome != "blocked":
            self.consecutive_blocked = 0
            return
        self.consecutive_blocked += 1
        if 0 < self.max_consecutive_blocked <= self.consecutive_blocked:
            raise CloseSpider("blocked")

    def counts(self, records: Iterable[dict[str, Any]] = ()) -> dict[str, int]:
        """Return the manifest counts; `requests` is the number of exchanges in `records`."""
        return {
            "discovered": len(self.in_interval),
            "fetched": self.outcomes["ok"],
            "skipped_known": len(self.skipped),
            "out_of_interval": len(self.out_interval - self.in_interval),
            "blocked": self.outcomes["blocked"],
            "failed": self.outcomes["http_error"],
            "non_article": self.outcomes["not_article"],
            "requests": sum(1 for _ in records),
        }

    # -- WARC and manifest --------------------------------------------------------------------------

    def warcinfo(self) -> dict[str, str]:
        """Return run fields for the warcinfo record."""
        return {
            "description": f"{self.source.display_name}: {self.interval_start.isoformat()} .. "
            f"{self.interval_end.isoformat()}",
            "newsarchive-source": self.source.name,
            "newsarchive-run-key": self.run_key,
        }

    def manifest(self, warc_file: str, records: list[dict[str, Any]], reason: str) -> dict[str, Any]:
        """Build the manifest document (see docs/architecture.md) for a finished crawl."""
        return {
            "source": self.source.name,
            "run_key": self.run_key,
            "interval_start": self.interval_start.astimezone(self.tz).isoformat(),
            "interval_end": self.interval_end.astimezone(self.tz).isoformat(),
            "warc_file": warc_file,
            "finish_reason": reason,
            "records": records,
            "counts": self.counts(records),
            **({"probe": self.found} if self.probe else {}),
        }

    def write_manifest(self, path: Path, records: list[dict[str, Any]], reason: str) -> None:
        """Write the manifest next to the finished WARC (atomically) and log a one-line summary."""
        document = self.manifest(path.name, records, reason)
        counts = document["counts"]
        if self.manifest_path is not None:
            part = self.manifest_path.with_name(self.manifest_path.name + ".part")
            part.parent.mkdir(parents=True, exist_ok=True)
            with part.open("w", encoding="utf-8") as fh:
                json.dump(document, fh, ensure_ascii=False, indent=1)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, self.manifest_path)
        logger.info(
            "crawl %s %s (%s): %s",
            self.name,
            self.run_key,
            reason,
            " ".join(f"{key}={value}" for key, value in counts.items()),
        )
