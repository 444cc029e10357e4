"""The run report: one self-contained HTML page (inline CSS and SVG, no external resources) about the archive.

Reads DATABASE_URL (passed in). Charts: articles per source per day, the coverage heatmap (status per source
and day, unhealthy days outlined), duplicate share, fallback share, and failures (failed or blocked fetches
per day and the failed runs with their errors). Every chart element has an SVG <title> as its tooltip. A tiny
inline script only records JavaScript errors into the page (`data-js-errors`), which the test checks.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from etl.store import coverage
from etl.store.db import raw_connection

log = logging.getLogger(__name__)

STATUS_COLORS = {"complete": "#2e7d32", "partial": "#f9a825", "failed": "#c62828", "never-run": "#bdbdbd"}
PALETTE = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f", "#4e342e", "#283593")
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;max-width:1100px;
color:#212121;padding:0 16px}h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.muted{color:#616161}.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #e0e0e0;border-radius:8px;
padding:10px 14px;min-width:120px}.card b{display:block;font-size:20px}svg{background:#fafafa;border:1px solid #eee;
border-radius:6px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:4px 6px;
text-align:left;vertical-align:top}.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;
width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-1px}
"""
_GUARD = ("<script>window.onerror=function(m){var b=document.body||document.documentElement;"
          "b.setAttribute('data-js-errors',(b.getAttribute('data-js-errors')||'')+m+';');};"
          "document.addEventListener('DOMContentLoaded',function(){document.body.setAttribute("
          "'data-rendered','ok');});</script>")


@dataclass(frozen=True)
class FailedRun:
    """A failed crawl run as listed in the report."""

    source: str
    day: date
    run_key: str
    error: str


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _days(items: Sequence[coverage.DayCoverage]) -> list[date]:
    if not items:
        return []
    first, last = min(r.day for r in items), max(r.day for r in items)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def bar_chart(title: str, days: list[date], series: dict[str, dict[date, float]], *, percent: bool = False,
              height: int = 180) -> str:
    """Grouped vertical bars: one group per day, one bar per series; an inline SVG."""
    width, left, bottom, top = max(420, 60 + len(days) * max(14, 8 * len(series) + 6)), 44, 34, 12
    peak = max([v for values in series.values() for v in values.values()] + [0.0])
    scale_max = 1.0 if percent else max(4.0, math.ceil(peak / 4) * 4)
    plot_h, plot_w = height - bottom - top, width - left - 10
    group = plot_w / max(1, len(days))
    bar_w = max(2.0, (group - 4) / max(1, len(series)))
    parts = [f'<svg role="img" aria-label="{_esc(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for tick in range(5):
        value = scale_max * tick / 4
        y = top + plot_h - plot_h * tick / 4
        label = f"{value:.0%}" if percent else f"{value:.0f}"
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e0e0e0"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{label}</text>')
    for i, day in enumerate(days):
        x0 = left + i * group + 2
        for j, (name, values) in enumerate(series.items()):
            value = values.get(day, 0.0)
            h = plot_h * value / scale_max
            shown = f"{value:.1%}" if percent else f"{value:g}"
            parts.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"><title>{_esc(name)} {day}: '
                         f'{shown}</title></rect>')
        if len(days) <= 16 or i % max(1, len(days) // 12) == 0:
            parts.append(f'<text x="{x0 + group / 2 - 2:.1f}" y="{height - 18}" font-size="10" '
                         f'text-anchor="middle">{day:%m-%d}</text>')
    parts.append("</svg>")
    legend = "".join(f'<span><i class="sw" style="background:{PALETTE[j % len(PALETTE)]}"></i>{_esc(n)}</span>'
                     for j, n in enumerate(series))
    return f'<h2>{_esc(title)}</h2><div class="legend">{legend}</div>' + "".join(parts)


def heatmap(days: list[date], items: Sequence[coverage.DayCoverage]) -> str:
    """Coverage status per source (rows) and day (columns); unhealthy days outlined in black."""
    sources = sorted({r.source for r in items})
    cell, left, top = 22, 110, 24
    width, height = left + cell * len(days) + 10, top + cell * len(sources) + 10
    by_key = {(r.source, r.day): r for r in items}
    parts = [f'<svg role="img" aria-label="coverage heatmap" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">']
    for i, day in enumerate(days):
        if len(days) <= 31 and i % 2 == 0 or day.day == 1:
            parts.append(f'<text x="{left + i * cell + 2}" y="{top - 8}" font-size="9">{day:%m-%d}</text>')
    for row, source in enumerate(sources):
        y = top + row * cell
        parts.append(f'<text x="{left - 6}" y="{y + 12}" font-size="11" text-anchor="end">{_esc(source)}</text>')
        for i, day in enumerate(days):
            entry = by_key.get((source, day))
            status = entry.status if entry else "never-run"
            unhealthy = entry is not None and entry.health == "unhealthy"
            stroke = ' stroke="#000" stroke-width="2"' if unhealthy else ""
            note = f"{source} {day}: {status}"
            if entry:
                note += f", {entry.loaded}/{entry.expected} articles"
                if unhealthy and entry.health_message:
                    note += f" - {entry.health_message}"
            parts.append(f'<rect x="{left + i * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" rx="2" '
                         f'fill="{STATUS_COLORS[status]}"{stroke}><title>{_esc(note)}</title></rect>')
    parts.append("</svg>")
    legend = "".join(f'<span><i class="sw" style="background:{c}"></i>{s}</span>' for s, c in STATUS_COLORS.items())
    return ('<h2>Coverage by day</h2><div class="legend">' + legend +
            '<span><i class="sw" style="border:2px solid #000"></i>unhealthy</span></div>' + "".join(parts))


def _failed_runs(database_url: str, since: date | None) -> list[FailedRun]:
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT source, partition_date, run_key, coalesce(error, '') FROM crawl_runs
                       WHERE error IS NOT NULL AND (%(since)s::date IS NULL OR partition_date >= %(since)s)
                       ORDER BY partition_date DESC, id DESC LIMIT 50""", {"since": since})
        return [FailedRun(*row) for row in cur.fetchall()]


def render(items: Sequence[coverage.DayCoverage], failed: Sequence[FailedRun], generated: datetime,
           since: date | None = None) -> str:
    """The whole HTML page for these ledger rows and failed runs."""
    days = _days(items)
    sources = sorted({r.source for r in items})

    def per_source(value: str) -> dict[str, dict[date, float]]:
        return {s: {r.day: float(getattr(r, value)) for r in items if r.source == s} for s in sources}

    def share(numerator: str) -> dict[str, dict[date, float]]:
        return {s: {r.day: (getattr(r, numerator) / r.loaded if r.loaded else 0.0) for r in items if r.source == s}
                for s in sources}

    total = sum(r.loaded for r in items)
    counts = {s: sum(1 for r in items if r.status == s) for s in coverage.STATUSES}
    cards = [("articles", total), ("days complete", counts["complete"]), ("partial", counts["partial"]),
             ("failed", counts["failed"]), ("unhealthy", sum(1 for r in items if r.health == "unhealthy")),
             ("duplicates", sum(r.duplicates for r in items)),
             ("fallback extractions", sum(r.fallback_extractions for r in items))]
    failures_by_day = {f"{s} failed": {r.day: float(r.failed) for r in items if r.source == s} for s in sources}
    failures_by_day.update({f"{s} blocked": {r.day: float(r.blocked) for r in items if r.source == s}
                            for s in sources})
    unhealthy = [r for r in items if r.health == "unhealthy"]
    rows = "".join(f"<tr><td>{_esc(f.source)}</td><td>{f.day}</td><td>{_esc(f.run_key)}</td>"
                   f"<td>{_esc(f.error[:300])}</td></tr>" for f in failed)
    health_rows = "".join(f"<tr><td>{_esc(r.source)}</td><td>{r.day}</td><td>{_esc(r.health_message or '')}</td></tr>"
                          for r in unhealthy)
    scope = f"since {since}" if since else "all days with runs"
    body = [
        "<h1>newsarchive run report</h1>",
        f'<p class="muted">{_esc(scope)}; {len(sources)} source(s), {len(days)} day(s); generated '
        f"{generated:%Y-%m-%d %H:%M} UTC</p>",
        '<div class="cards">' + "".join(f'<div class="card"><b>{v}</b>{_esc(k)}</div>' for k, v in cards) + "</div>",
    ]
    if not items:
        body.append("<p>No crawl runs yet.</p>")
    else:
        body += [
            bar_chart("Articles per source per day", days, per_source("loaded")),
            heatmap(days, items),
            bar_chart("Duplicate share (linked republications / articles)", days, share("duplicates"), percent=True),
            bar_chart("Fallback share (bodies from the generic extractor / articles)", days,
                      share("fallback_extractions"), percent=True),
            bar_chart("Failures: failed and blocked article fetches (latest run)", days, failures_by_day),
        ]
    body.append("<h2>Unhealthy days</h2>" + (f"<table><tr><th>source</th><th>day</th><th>problem</th></tr>"
                                             f"{health_rows}</table>" if unhealthy else "<p>None.</p>"))
    body.append("<h2>Failed runs</h2>" + (f"<table><tr><th>source</th><th>day</th><th>run</th><th>error</th></tr>"
                                          f"{rows}</table>" if failed else "<p>None.</p>"))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>newsarchive report</title><style>{_CSS}</style>{_GUARD}</head><body>"
            + "\n".join(body) + "</body></html>\n")


def build(database_url: str, sources: Sequence[str], since: date | None = None, until: date | None = None) -> str:
    """Refresh the ledger for `sources` and render the report from it."""
    if since is not None and until is not None:
        coverage.refresh(database_url, sources, since, until)
    else:
        coverage.refresh(database_url, sources)
    items = [r for s in sources for r in coverage.rows(database_url, s, since, until)]
    return render(items, _failed_runs(database_url, since), datetime.now(UTC), since)
