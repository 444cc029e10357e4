"""The probe: check a source spec against its site (live, or the replay site through host overrides).

A crawl in probe mode (scrapers/run.py `probe=N`: each discovery method's first page, at most N articles of any
date) is archived in S3 like any crawl (`raw/source=<s>/date=<d>/probe-<s>-<stamp>.warc.gz` + manifest); then
every step of the parser chain runs on each fetched article (`SiteParser.layers`). The report says per
discovery method the documents read, their links and the article URLs among them; per field the step that won
and whether the steps agree; per `unconfirmed` fact (`etl.sources.Fact`) confirmed, refuted or untested with
the evidence; and the problems: a method that found no article, a required field that came only from a
fallback step (generic or discovery) or not at all, a page that is not an article.

Reads (through Settings): NEWSARCHIVE_STATE_DIR (crawl work files), NEWSARCHIVE_HOST_OVERRIDES and the crawl
settings (politeness: the spec's delays unless overridden), the S3 settings.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from etl.core.config import Settings
from etl.extract import ExtractionError
from etl.extract.base import FALLBACK_METHODS, Stamp
from etl.sources import Source, discovery_label
from etl.sources.spec import Fact
from etl.steps.crawl import day_interval
from etl.store import archive

log = logging.getLogger(__name__)

#: The fields a page must get from the site's own markup (JSON-LD, meta or selectors) to pass the probe.
REQUIRED_FIELDS = ("title", "body", "published_at")
#: The fields shown in the probe table, in order.
FIELDS = ("title", "body", "published_at", "modified_at", "author", "tags", "image_url", "canonical_url", "language")
CONFIRMED, REFUTED, UNTESTED = "confirmed", "refuted", "untested"


@dataclass(frozen=True)
class MethodResult:
    """What one discovery method found: documents read, links in them, article URLs among the links."""

    label: str
    documents: int
    links: int
    articles: int


@dataclass(frozen=True)
class FieldResult:
    """One field over the probed pages: which step won how often, and on how many pages the steps disagreed."""

    name: str
    chosen: dict[str, int]
    disagreeing: int
    pages: int


@dataclass(frozen=True)
class FactResult:
    """One unconfirmed fact of the spec and what the probe saw."""

    text: str
    verdict: str
    evidence: str


@dataclass
class PageResult:
    """One probed article page: its URL, the parser version, what every step gave, or why it failed."""

    url: str
    version: str = ""
    markers: tuple[str, ...] = ()
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str = ""


@dataclass
class ProbeReport:
    """Everything `newsarchive probe` prints for one source."""

    source: str
    warc_key: str
    methods: list[MethodResult]
    fields: list[FieldResult]
    facts: list[FactResult]
    pages: list[PageResult]

    @property
    def problems(self) -> list[str]:
        """One line per problem: a broken discovery method, a required field from a fallback, a failed page."""
        lines = [f"discovery {m.label}: no article URLs ({m.documents} documents read, {m.links} links)"
                 for m in self.methods if m.articles == 0]
        if not self.pages:
            lines.append("no article page was fetched")
        for result in self.fields:
            if result.name not in REQUIRED_FIELDS:
                continue
            weak = sum(count for method, count in result.chosen.items() if method in FALLBACK_METHODS | {"-"})
            if weak:
                how = ", ".join(f"{method} {count}" for method, count in sorted(result.chosen.items())
                                if method in FALLBACK_METHODS | {"-"})
                lines.append(f"field {result.name}: not from the site's markup on {weak}/{result.pages} pages "
                             f"({how}); layout changed?")
        lines += [f"page {page.url}: {page.error}" for page in self.pages if page.error]
        return lines


def _comparable(value: Any) -> Any:
    """A value of a step in a form the steps can be compared by (a stamp by its instant)."""
    return value.moment if isinstance(value, Stamp) else value


def _page_result(source: Source, row: dict[str, Any], body: bytes) -> PageResult:
    """Run every step of the chain on one archived article response."""
    url = row["url"]
    listed = datetime.fromisoformat(row["listed_at"]) if row.get("listed_at") else None
    try:
        parser = source.parser.parser(source, url, body, fetched_at=datetime.fromisoformat(row["fetched_at"]),
                                      listed_at=listed)
        article = parser.parse()
    except ExtractionError as exc:
        return PageResult(url, error=str(exc).removeprefix(f"{url}: "))
    markers = tuple(version.VERSION for version in source.parser.versions if version.matches(parser.page))
    layers = {name: {"chosen": article.methods.get(name, "-"),
                     "values": {method: _comparable(value) for method, value in steps.items()}}
              for name, steps in parser.layers().items()}
    return PageResult(url, article.extractor_version, markers, layers)


def _fields(pages: list[PageResult]) -> list[FieldResult]:
    """Aggregate the pages' steps per field."""
    parsed = [page for page in pages if not page.error]
    results = []
    for name in FIELDS:
        chosen: Counter[str] = Counter(page.layers[name]["chosen"] for page in parsed)
        disagreeing = sum(1 for page in parsed if len({repr(v) for v in page.layers[name]["values"].values()}) > 1)
        results.append(FieldResult(name, dict(chosen), disagreeing, len(parsed)))
    return results


def _fact(fact: Fact, methods: list[MethodResult], pages: list[PageResult]) -> FactResult:
    """Check one fact against what the probe saw."""
    if fact.discovery:
        tied = [m for m in methods if fact.discovery in m.label]
        if not tied:
            return FactResult(fact.text, UNTESTED, f"no discovery method matches {fact.discovery!r}")
        found = sum(m.articles for m in tied)
        evidence = "; ".join(f"{m.label}: {m.articles} article URLs in {m.documents} documents" for m in tied)
        return FactResult(fact.text, CONFIRMED if found else REFUTED, evidence)
    if fact.version:
        seen = [page for page in pages if fact.version in page.markers]
        if not seen:
            return FactResult(fact.text, UNTESTED, f"none of {len(pages)} probed pages has the {fact.version} markup")
        own = [page for page in seen if page.layers["body"]["chosen"] == "selectors"]
        verdict = CONFIRMED if own else REFUTED
        return FactResult(fact.text, verdict, f"{len(seen)} pages with the {fact.version} markup, "
                          f"{len(own)} parsed by its selectors (e.g. {seen[0].url})")
    if fact.urls:
        links, articles = sum(m.links for m in methods), sum(m.articles for m in methods)
        return FactResult(fact.text, CONFIRMED if articles else REFUTED,
                          f"{articles} of {links} discovered links match the article URL rule")
    return FactResult(fact.text, UNTESTED, "no machine check in the spec")


def probe_source(settings: Settings, source: Source, day: date, articles: int = 5) -> ProbeReport:
    """Probe `source` for the local `day`: crawl in probe mode, archive it, run the chain on what came back."""
    from scrapers.run import run_crawl

    run_key = f"probe-{source.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    work_dir = settings.state_dir / "work" / run_key
    work_dir.mkdir(parents=True, exist_ok=True)
    start, end = day_interval(day, source.tz)
    output = run_crawl(source, start, end, work_dir, run_key, settings, refetch=True, probe=articles)
    manifest = json.loads(output.manifest_path.read_text(encoding="utf-8"))
    uploaded = archive.upload_run(settings, output.warc_path, output.manifest_path, source.name, day, run_key)
    shutil.rmtree(work_dir, ignore_errors=True)
    found = manifest.get("probe", {})
    methods = [
        MethodResult(label, *(int(found.get(label, {}).get(key, 0)) for key in ("documents", "links", "articles")))
        for label in map(discovery_label, source.discovery)
    ]
    rows = {int(r["warc_offset"]): r for r in manifest.get("records", [])
            if r.get("kind") == "article" and r.get("outcome") == "ok" and r.get("status") == 200
            and r.get("warc_offset") is not None}
    pages = [_page_result(source, rows[record.offset], record.body)
             for record in archive.iter_responses(settings, uploaded.warc_key) if record.offset in rows]
    facts = [_fact(fact, methods, pages) for fact in source.unconfirmed]
    log.info("probe %s: %d methods, %d pages, archived %s", source.name, len(methods), len(pages), uploaded.warc_key)
    return ProbeReport(source.name, uploaded.warc_key, methods, _fields(pages), facts, pages)
