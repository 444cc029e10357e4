"""Health of one source and day: field fill rates and counts against the source's own baseline.

Reads DATABASE_URL (through Settings). A day's articles are those loaded by its crawl runs. Metrics:
`count` (articles present), fill rates of `title`, `date` (published_at), `author` and `body`, `body_chars`
(median body length) and `blocked` (blocked share of the latest run's article URLs, counting articles skipped
as already archived as reachable). A body counts as filled when the site's own parser produced it (not the
generic fallback: a layout change shows here) and it is not much shorter than the source's own short items:
at least SHORT_BODY_RATIO of the BODY_QUANTILE of the body lengths of the baseline days. So a source of
one-paragraph news items is measured against its own items, not against a fixed length.

The baseline of a day is the median, per metric, over the other days of the source within BASELINE_DAYS on
either side that have articles; it is used only when there are at least MIN_BASELINE_DAYS of them. Taking
days on both sides makes the verdict of a day independent of the order in which days were run (a backfill
running days in parallel, a re-run after later days). A day is unhealthy when a rate, the count or the median
body length falls below DROP_RATIO of its baseline, when most fetches were blocked, when a run loaded nothing
although the baseline has articles, or, without a baseline, when the site's parser found most bodies missing.
The latest run's failed items (articles that could not be extracted or loaded, listed in
`run_failures`) are reported with the metrics. The verdict is written to the coverage ledger.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median
from typing import Any

from etl.core.config import Settings
from etl.store import coverage, runs
from etl.store.db import raw_connection

log = logging.getLogger(__name__)

BASELINE_DAYS = 14  # days on each side of the judged day
MIN_BASELINE_DAYS = 2  # fewer days with articles: only the checks that need no baseline
DROP_RATIO = 0.5  # unhealthy below half of the baseline
BODY_QUANTILE = 0.1  # the source's short items: the 10th percentile of its body lengths ...
SHORT_BODY_RATIO = 0.5  # ... a body shorter than half of that is a stub, not a body
MIN_BASELINE = 0.2  # rates below this in the baseline are not judged (the source rarely has the field)
MAX_BLOCKED_SHARE = 0.5
FIELDS = ("title", "date", "author", "body")
#: Without a baseline the site's own parser is still expected to find the body of every article.
NO_BASELINE = {"body": 1.0}

_METRICS = """
WITH day_articles AS (
    SELECT r.partition_date AS day, a.title, a.published_at, a.author, length(a.body) AS chars,
           coalesce(a.extraction->>'body', '') <> 'generic' AS own_body
    FROM articles a JOIN crawl_runs r ON r.id = a.crawl_run_id
    WHERE a.source = %(source)s AND r.partition_date BETWEEN %(start)s AND %(end)s
), threshold AS (
    SELECT greatest(1, coalesce(%(ratio)s * percentile_cont(%(quantile)s) WITHIN GROUP (ORDER BY chars)
                                FILTER (WHERE day <> %(day)s AND own_body AND chars > 0), 1)) AS min_chars
    FROM day_articles
)
SELECT day, count(*), avg((title <> '')::int), avg((published_at IS NOT NULL)::int),
       avg((author IS NOT NULL)::int), avg((own_body AND chars >= min_chars)::int),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY chars), min(min_chars)
FROM day_articles CROSS JOIN threshold
GROUP BY day
"""

_LATEST_RUN = """
SELECT status, fetched, blocked, skipped_known, extract_errors FROM crawl_runs
WHERE source = %s AND partition_date = %s
ORDER BY (status = %s) DESC, id DESC LIMIT 1
"""

_STORE = """
UPDATE coverage SET health = %s, health_message = %s, health_metrics = %s::jsonb, health_checked_at = now()
WHERE source = %s AND day = %s
"""


@dataclass(frozen=True)
class Verdict:
    """The health of one source and day."""

    source: str
    day: date
    status: str  # ok, unhealthy, unknown (nothing ran)
    problems: tuple[str, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        """False only when the day is unhealthy."""
        return self.status != "unhealthy"

    @property
    def message(self) -> str:
        """One line naming the source, the day and every field that dropped."""
        if not self.problems:
            return f"{self.source} {self.day}: {self.status}"
        return f"{self.source} {self.day} unhealthy: " + "; ".join(self.problems)


def _day_metrics(row: tuple[Any, ...]) -> dict[str, float]:
    _, count, title, published, author, body, chars, _ = row
    return {"count": float(count), "title": float(title or 0), "date": float(published or 0),
            "author": float(author or 0), "body": float(body or 0), "body_chars": float(chars or 0)}


def blocked_share(fetched: int, blocked: int, skipped_known: int) -> float:
    """Blocked share of the run's article URLs; already archived (skipped) articles count as reachable.

    A re-run that skips every known article and meets only the one page that is always blocked is healthy.
    """
    reachable = fetched + blocked + skipped_known
    return blocked / reachable if reachable else 0.0


def baseline_of(days: list[dict[str, float]]) -> dict[str, float] | None:
    """The per-metric median over other days with articles (None: fewer than MIN_BASELINE_DAYS of them)."""
    earlier = [m for m in days if m["count"] > 0]
    if len(earlier) < MIN_BASELINE_DAYS:
        return None
    return {name: median(m[name] for m in earlier) for name in earlier[0]}


def judge(today: dict[str, float], baseline: dict[str, float] | None, blocked_share: float) -> list[str]:
    """The problems of a day's metrics against a baseline (None: not enough other days to compare with)."""
    problems: list[str] = []
    if blocked_share > MAX_BLOCKED_SHARE:
        problems.append(f"blocked: {blocked_share:.0%} of article fetches were blocked")
    if baseline is None:
        if today["count"] > 0 and today["body"] < NO_BASELINE["body"] * DROP_RATIO:
            problems.append(f"body: fill rate {today['body']:.0%} (no baseline yet; the site's parser is expected "
                            "to find every body)")
        return problems
    if today["count"] < baseline["count"] * DROP_RATIO:
        problems.append(f"count: {today['count']:.0f} articles (baseline {baseline['count']:.1f})")
    if today["count"] == 0:
        return problems
    for name in FIELDS:
        if baseline[name] >= MIN_BASELINE and today[name] < baseline[name] * DROP_RATIO:
            problems.append(f"{name}: fill rate {today[name]:.0%} (baseline {baseline[name]:.0%})")
    if baseline["body_chars"] > 0 and today["body_chars"] < baseline["body_chars"] * DROP_RATIO:
        problems.append(f"body_chars: median body {today['body_chars']:.0f} characters "
                        f"(baseline {baseline['body_chars']:.0f})")
    return problems


def measure(database_url: str, source: str, day: date) -> tuple[dict[str, float] | None, dict[str, float] | None,
                                                               dict[str, Any]]:
    """(the day's metrics or None when it has no run, its baseline, details for the ledger)."""
    params = {"source": source, "day": day, "start": day - timedelta(days=BASELINE_DAYS),
              "end": day + timedelta(days=BASELINE_DAYS), "ratio": SHORT_BODY_RATIO, "quantile": BODY_QUANTILE}
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute(_METRICS, params)
        rows = {row[0]: row for row in cur.fetchall()}
        cur.execute(_LATEST_RUN, (source, day, runs.DONE))
        run = cur.fetchone()
    if run is None:
        return None, None, {}
    _, fetched, blocked, skipped_known, failed_items = run
    min_chars = next(iter(rows.values()))[7] if rows else 1  # the same on every row
    today = _day_metrics(rows.pop(day)) if day in rows else _day_metrics((day, 0, 0, 0, 0, 0, 0, 0))
    others = [_day_metrics(row) for row in rows.values()]
    baseline = baseline_of(others)
    details = {"today": today, "baseline": baseline, "baseline_days": sum(1 for m in others if m["count"] > 0),
               "min_body_chars": float(min_chars),
               "blocked_share": blocked_share(int(fetched), int(blocked), int(skipped_known)),
               "failed_items": int(failed_items or 0)}  # articles of the run not extracted or loaded (run_failures)
    return today, baseline, details


def check_day(settings: Settings, source: str, day: date) -> Verdict:
    """Measure the day, compare it with the baseline, store the verdict in the ledger and return it."""
    url = settings.require_database_url()
    coverage.refresh_day(url, source, day)
    today, baseline, details = measure(url, source, day)
    if today is None:
        verdict = Verdict(source, day, "unknown")
    else:
        problems = judge(today, baseline, details["blocked_share"])
        verdict = Verdict(source, day, "unhealthy" if problems else "ok", tuple(problems), details)
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute(_STORE, (verdict.status, verdict.message if verdict.problems else None,
                             json.dumps(verdict.metrics, sort_keys=True), source, day))
    (log.warning if not verdict.healthy else log.info)("health %s", verdict.message)
    return verdict
