"""The run report: one self-contained HTML page (inline CSS and SVG, no external resources) about the archive.

Reads DATABASE_URL (passed in). The days are the asked range cut to the first and last day with runs (over
MAX_DAYS days only the days with runs), every chart at most MAX_WIDTH pixels wide, a distinct colour per series.
Charts: articles per source per day (stacked), the coverage heatmap (status per source and day; a day that
failed its health check is a failure of its own colour), failed or unhealthy source-days, duplicate and
fallback share (a line per source), failed and blocked fetches, and the failed runs with their errors. Every chart element has an SVG <title> as its tooltip. A tiny
inline script only records JavaScript errors into the page (`data-js-errors`), which the test checks.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from etl.store import coverage
from etl.store.db import raw_connection

log = logging.getLogger(__name__)

STATUS_COLORS = {"complete": "#2e7d32", "partial": "#f9a825", "failed": "#c62828", "unhealthy": "#6a1b9a",
                 "never-run": "#bdbdbd"}
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac")  # Tableau 10
MAX_WIDTH = 1060  # every chart fits the page, however many days
MAX_DAYS = 92  # longer ranges show only the days that have runs (one stray run does not stretch the axis)
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


def series_colors(names: Sequence[str]) -> dict[str, str]:
    """A distinct colour for every series: the Tableau 10 palette, or, for more series, hues evenly around the
    wheel with neighbours also differing in lightness."""
    if len(names) <= len(PALETTE):
        return dict(zip(names, PALETTE, strict=False))
    return {name: f"hsl({round(360 * i / len(names))},70%,{38 if i % 2 else 52}%)" for i, name in enumerate(names)}


def axis(items: Sequence[coverage.DayCoverage]) -> list[date]:
    """The days to chart: every day from the first to the last row, or, over MAX_DAYS, only days with runs."""
    if not items:
        return []
    first, last = min(r.day for r in items), max(r.day for r in items)
    every = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return every if len(every) <= MAX_DAYS else sorted({r.day for r in items if r.runs > 0})


def _frame(title: str, width: int, height: int) -> str:
    return (f'<svg role="img" aria-label="{_esc(title)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">')


def _legend(colors: dict[str, str]) -> str:
    return '<div class="legend">' + "".join(f'<span><i class="sw" style="background:{c}"></i>{_esc(n)}</span>'
                                            for n, c in colors.items()) + "</div>"


def chart(title: str, days: list[date], series: dict[str, dict[date, float]], *, percent: bool = False,
          colors: dict[str, str] | None = None, height: int = 180) -> str:
    """Stacked bars per day (counts) or one line per series (shares, `percent`); an inline SVG at most MAX_WIDTH.

    Series take `colors` when given (the status colours), else series_colors.
    """
    left, bottom, top = 44, 34, 12
    width = min(MAX_WIDTH, max(420, left + 10 + 18 * len(days)))
    plot_h, plot_w = height - bottom - top, width - left - 10
    step = plot_w / max(1, len(days))
    colors = colors or series_colors(list(series))
    totals = [sum(values.get(day, 0.0) for values in series.values()) for day in days]
    peak = max([v for values in series.values() for v in values.values()] if percent else totals + [0.0])
    scale = 1.0 if percent else max(4.0, math.ceil(peak / 4) * 4)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / scale

    parts = [_frame(title, width, height)]
    for tick in range(5):
        value = scale * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#e0e0e0"/>'
                     f'<text x="{left - 4}" y="{y(value) + 4:.1f}" font-size="10" text-anchor="end">'
                     f'{f"{value:.0%}" if percent else f"{value:.0f}"}</text>')
    label_every = max(1, math.ceil(len(days) / 12))
    bar = min(28.0, max(1.0, step - 2))
    for i, day in enumerate(days):
        x = left + i * step
        if i % label_every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - 18}" font-size="10" text-anchor="middle">'
                         f"{day:%m-%d}</text>")
        if percent:
            continue
        base = 0.0
        for name, values in series.items():
            value = values.get(day, 0.0)
            if value:
                parts.append(f'<rect x="{x + (step - bar) / 2:.1f}" y="{y(base + value):.1f}" width="{bar:.1f}" '
                             f'height="{y(base) - y(base + value):.1f}" fill="{colors[name]}"><title>{_esc(name)} '
                             f"{day}: {value:g}</title></rect>")
            base += value
    if percent:
        for name, values in series.items():
            points = [(left + i * step + step / 2, values[day], day) for i, day in enumerate(days) if day in values]
            path = " ".join(f"{px:.1f},{y(v):.1f}" for px, v, _ in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colors[name]}" stroke-width="2"/>')
            parts += [f'<circle cx="{px:.1f}" cy="{y(v):.1f}" r="3" fill="{colors[name]}"><title>{_esc(name)} {day}: '
                      f"{v:.1%}</title></circle>" for px, v, day in points]
    parts.append("</svg>")
    return f"<h2>{_esc(title)}</h2>{_legend(colors)}" + "".join(parts)


def _state(entry: coverage.DayCoverage | None) -> str:
    """The heatmap colour key of a ledger row: its status, or `unhealthy` for a loaded day that failed health."""
    if entry is None:
        return "never-run"
    return "unhealthy" if entry.health == "unhealthy" else entry.status


def heatmap(days: list[date], items: Sequence[coverage.DayCoverage]) -> str:
    """Coverage status per source (rows) and day (columns); days that failed the health check in their own colour."""
    sources = sorted({r.source for r in items})
    left, top = 110, 24
    cell = max(2.0, min(22.0, (MAX_WIDTH - left - 10) / max(1, len(days))))
    width, height = round(left + cell * len(days) + 10), round(top + 22 * len(sources) + 10)
    by_key = {(r.source, r.day): r for r in items}
    parts = [_frame("coverage heatmap", width, height)]
    label_every = max(2, math.ceil(len(days) / 16))
    for i, day in enumerate(days):
        if i % label_every == 0:
            parts.append(f'<text x="{left + i * cell + 2:.1f}" y="{top - 8}" font-size="9">{day:%m-%d}</text>')
    for row, source in enumerate(sources):
        y = top + row * 22
        parts.append(f'<text x="{left - 6}" y="{y + 12}" font-size="11" text-anchor="end">{_esc(source)}</text>')
        for i, day in enumerate(days):
            entry = by_key.get((source, day))
            state = _state(entry)
            note = f"{source} {day}: {entry.status if entry else 'never-run'}"
            if entry:
                note += f", {entry.loaded}/{entry.expected} articles"
                if state == "unhealthy" and entry.health_message:
                    note += f" - {entry.health_message}"
            parts.append(f'<rect x="{left + i * cell:.1f}" y="{y}" width="{max(1.0, cell - 2):.1f}" height="20" '
                         f'rx="2" fill="{STATUS_COLORS[state]}"><title>{_esc(note)}</title></rect>')
    parts.append("</svg>")
    return "<h2>Coverage by day</h2>" + _legend(STATUS_COLORS) + "".join(parts)


def _failed_runs(database_url: str, since: date, until: date) -> list[FailedRun]:
    with raw_connection(database_url) as conn, conn.cursor() as cur:
        cur.execute("""SELECT source, partition_date, run_key, coalesce(error, '') FROM crawl_runs
                       WHERE error IS NOT NULL AND partition_date BETWEEN %s AND %s
                       ORDER BY partition_date DESC, id DESC LIMIT 50""", (since, until))
        return [FailedRun(*row) for row in cur.fetchall()]


def cards(items: Sequence[coverage.DayCoverage]) -> list[tuple[str, int]]:
    """The headline counts; a day that failed its health check counts as a failure, not as complete."""
    sources = {r.source for r in items}
    good = [r for r in items if r.status == "complete" and r.health != "unhealthy"]
    good_by_day = {day: {r.source for r in good if r.day == day} for day in {r.day for r in items}}
    return [("articles", sum(r.loaded for r in items)),
            (f"days complete for all {len(sources)} source(s)", sum(1 for s in good_by_day.values() if s == sources)),
            ("source-days complete", len(good)),
            ("source-days partial", sum(1 for r in items if r.status == "partial" and r.health != "unhealthy")),
            ("source-days failed or unhealthy", sum(1 for r in items if r.status == "failed" or r.health == "unhealthy")),
            ("of them unhealthy", sum(1 for r in items if r.health == "unhealthy")),
            ("duplicates", sum(r.duplicates for r in items)),
            ("fallback extractions", sum(r.fallback_extractions for r in items))]


def render(items: Sequence[coverage.DayCoverage], failed: Sequence[FailedRun], generated: datetime) -> str:
    """The whole HTML page for these ledger rows and failed runs."""
    days = axis(items)
    sources = sorted({r.source for r in items})

    def per_source(value: str) -> dict[str, dict[date, float]]:
        return {s: {r.day: float(getattr(r, value)) for r in items if r.source == s} for s in sources}

    def share(numerator: str) -> dict[str, dict[date, float]]:
        return {s: {r.day: getattr(r, numerator) / r.loaded for r in items if r.source == s and r.loaded}
                for s in sources}

    def total(test: Callable[[coverage.DayCoverage], float]) -> dict[date, float]:
        return {day: sum(test(r) for r in items if r.day == day) for day in days}

    unhealthy = [r for r in items if r.health == "unhealthy"]
    rows = "".join(f"<tr><td>{_esc(f.source)}</td><td>{f.day}</td><td>{_esc(f.run_key)}</td>"
                   f"<td>{_esc(f.error[:300])}</td></tr>" for f in failed)
    health_rows = "".join(f"<tr><td>{_esc(r.source)}</td><td>{r.day}</td><td>{_esc(r.health_message or '')}</td></tr>"
                          for r in unhealthy)
    scope = f"{days[0]} to {days[-1]}" if days else "no crawl runs in the range"
    if days and (days[-1] - days[0]).days + 1 > len(days):
        scope += f" ({(days[-1] - days[0]).days + 1 - len(days)} days without any run left out)"
    body = [
        "<h1>newsarchive run report</h1>",
        f'<p class="muted">{_esc(scope)}; {len(sources)} source(s), {len(days)} day(s); generated '
        f"{generated:%Y-%m-%d %H:%M} UTC</p>",
        '<div class="cards">' + "".join(f'<div class="card"><b>{v}</b>{_esc(k)}</div>' for k, v in cards(items))
        + "</div>",
    ]
    if not items:
        body.append("<p>No crawl runs yet.</p>")
    else:
        body += [
            chart("Articles per source per day", days, per_source("loaded")),
            heatmap(days, items),
            chart("Failures: source-days that failed or are unhealthy", days, {
                "failed": total(lambda r: float(r.status == "failed")),
                "unhealthy": total(lambda r: float(r.health == "unhealthy" and r.status != "failed"))},
                colors={name: STATUS_COLORS[name] for name in ("failed", "unhealthy")}),
            chart("Duplicate share (linked republications / articles)", days, share("duplicates"), percent=True),
            chart("Fallback share (bodies from the generic extractor / articles)", days,
                  share("fallback_extractions"), percent=True),
            chart("Failed and blocked article fetches (latest run of each source)", days, {
                "failed fetches": total(lambda r: float(r.failed)),
                "blocked fetches": total(lambda r: float(r.blocked))}),
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
    """Refresh the ledger over [since, until] cut to the days with runs, and render the report from it."""
    days = coverage.bounded(database_url, sources, since, until)
    items: list[coverage.DayCoverage] = []
    failed: list[FailedRun] = []
    if days is not None:
        coverage.refresh(database_url, sources, *days)
        items = [r for s in sources for r in coverage.rows(database_url, s, *days)]
        failed = _failed_runs(database_url, *days)
    return render(items, failed, datetime.now(UTC))
