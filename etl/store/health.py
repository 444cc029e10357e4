"""Health of one source and day: field fill rates and counts against the source's recent baseline.

Reads DATABASE_URL (through Settings). A day's articles are those loaded by its crawl runs. Metrics:
`count` (articles present), fill rates of `title`, `date` (published_at), `author` and `body` (a body of at
least MIN_BODY_CHARS produced by the site's own parser, not the generic fallback: a layout change shows here),
`body_chars` (median body length) and `blocked` (blocked share of the latest run's article URLs, counting
articles skipped as already archived as reachable). The latest run's failed items (articles that could not be
extracted or loaded, listed in `run_failures`) are reported with the metrics.
The baseline is the mean over the source's previous BASELINE_DAYS days that have articles. A day is unhealthy
when a rate or count falls below DROP_RATIO of its baseline, when most fetches were blocked, or when a run
loaded nothing although the baseline has articles. The verdict is written to the coverage ledger.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from etl.core.config import Settings
from etl.store import coverage, runs
from etl.store.db import raw_connection

log = logging.getLogger(__name__)

BASELINE_DAYS = 14
DROP_RATIO = 0.5  # unhealthy below half of the baseline
MIN_BODY_CHARS = 200
MIN_BASELINE = 0.2  # rates below this in the baseline are not judged (the source rarely has the field)
MAX_BLOCKED_SHARE = 0.5
FIELDS = ("title", "date", "author", "body")

_METRICS = """
SELECT r.partition_date, count(a.id),
       avg((a.title <> '')::int), avg((a.published_at IS NOT NULL)::int), avg((a.author IS NOT NULL)::int),
       avg((length(a.body) >= %(min_body)s AND coalesce(a.extraction->>'body', '') <> 'generic')::int),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY length(a.body))
FROM articles a JOIN crawl_runs r ON r.id = a.crawl_run_id
WHERE a.source = %(source)s AND r.partition_date BETWEEN %(start)s AND %(end)s
GROUP BY r.partition_date
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
    _, count, title, published, author, body, median = row
    return {"count": float(count), "title": float(title or 0), "date": float(published or 0),
            "author": float(author or 0), "body": float(body or 0), "body_chars": float(median or 0)}


def blocked_share(fetched: int, blocked: int, skipped_known: int) -> float:
    """Blocked share of the run's article URLs; already archived (skipped) articles count as reachable.

    A re-run that skips every known article and meets only the one page that is always blocked is healthy.
    """
    reachable = fetched + blocked + skipped_known
    return blocked / reachable if reachable else 0.0


def judge(today: dict[str, float], baseline: dict[str, float] | None, blocked_share: float) -> list[str]:
    """The problems of a day's metrics against a baseline (None: no earlier day to compare with)."""
    problems: list[str] = []
    if blocked_share > MAX_BLOCKED_SHARE:
        problems.append(f"blocked: {blocked_share:.0%} of article fetches were blocked")
    if baseline is None:
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


def check_day(settings: Settings, source: str, day: date) -> Verdict:
    """Measure the day, compare it with the baseline, store the verdict in the ledger and return it."""
    url = settings.require_database_url()
    coverage.refresh_day(url, source, day)
    params = {"source": source, "start": day - timedelta(days=BASELINE_DAYS), "end": day, "min_body": MIN_BODY_CHARS}
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute(_METRICS, params)
        per_day = {row[0]: _day_metrics(row) for row in cur.fetchall()}
        cur.execute(_LATEST_RUN, (source, day, runs.DONE))
        run = cur.fetchone()
    if run is None:
        verdict = Verdict(source, day, "unknown")
    else:
        _, fetched, blocked, skipped_known, failed_items = run
        today = per_day.pop(day, None) or _day_metrics((day, 0, 0, 0, 0, 0, 0))
        earlier = [m for m in per_day.values() if m["count"] > 0]
        baseline = {k: sum(m[k] for m in earlier) / len(earlier) for k in today} if earlier else None
        problems = judge(today, baseline, blocked_share(int(fetched), int(blocked), int(skipped_known)))
        metrics = {"today": today, "baseline": baseline, "baseline_days": len(earlier),
                   "failed_items": int(failed_items)}  # articles of the run not extracted or loaded (run_failures)
        verdict = Verdict(source, day, "unhealthy" if problems else "ok", tuple(problems), metrics)
    with raw_connection(url) as conn, conn.cursor() as cur:
        cur.execute(_STORE, (verdict.status, verdict.message if verdict.problems else None,
                             json.dumps(verdict.metrics, sort_keys=True), source, day))
    (log.warning if not verdict.healthy else log.info)("health %s", verdict.message)
    return verdict
