"""`newsarchive probe [--source S] [--articles N] [--date D]`: check source specs against their sites.

For each source (default: every enabled one) a politely paced crawl in probe mode, archived in S3 like any
crawl, then a table: per discovery method the documents, links and article URLs found; per field the step of
the parser chain that won (and on how many pages the steps disagree); each unconfirmed fact confirmed, refuted
or untested with its evidence; the problems. Exit 1 when any source has a problem (a discovery method that
finds nothing, a required field not from the site's markup, a page that is not an article). Point it at the
replay site with NEWSARCHIVE_HOST_OVERRIDES. Reads everything `etl.steps.probe` reads.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from etl.cli.args import date_arg
from etl.core.config import Settings
from etl.sources import enabled_sources, get_source, register_modules
from etl.steps.probe import ProbeReport, probe_source


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `probe` subcommand."""
    parser = sub.add_parser(
        "probe", help="check each source's discovery, parser chain and unconfirmed facts on its site",
        description="Crawl a few pages of each source in probe mode (archived in S3 like any crawl) and report "
        "what each discovery method found, which step of the parser chain produced each field, and which "
        "unconfirmed facts of the spec hold. Exit status 1 when something is broken.",
    )
    parser.add_argument("--source", help="only this source (default: every enabled source)")
    parser.add_argument("--articles", type=int, default=5, help="article pages to fetch per source (default 5)")
    parser.add_argument("--date", type=date_arg, help="local day of the dated listings (default: today)")
    parser.set_defaults(handler=cmd_probe)


def render(report: ProbeReport) -> list[str]:
    """The probe table of one source, as lines."""
    lines = [f"{report.source}  (archived: {report.warc_key})", "  discovery method                            "
             "documents  links  articles"]
    lines += [f"  {m.label[:44]:44} {m.documents:9} {m.links:6} {m.articles:9}" for m in report.methods]
    lines.append(f"  field           chosen step (pages)                          steps disagree ({len(report.pages)} pages)")
    for result in report.fields:
        chosen = ", ".join(f"{method} {count}" for method, count in sorted(result.chosen.items())) or "-"
        lines.append(f"  {result.name:15} {chosen:44} {result.disagreeing}")
    if report.facts:
        lines.append("  unconfirmed facts")
        lines += [f"    [{fact.verdict}] {fact.text}\n      {fact.evidence}" for fact in report.facts]
    problems = report.problems
    lines.append("  problems:" + ("" if problems else " none"))
    lines += [f"    - {problem}" for problem in problems]
    return lines


def cmd_probe(args: argparse.Namespace, settings: Settings) -> int:
    """Probe the chosen sources and print one table each; 1 when any has a problem."""
    register_modules(settings.source_modules)
    if args.articles < 1:
        from etl.core.errors import UserError

        raise UserError(f"--articles must be at least 1, got {args.articles}")
    sources = [get_source(args.source)] if args.source else enabled_sources()
    broken = []
    for source in sources:
        day = args.date or datetime.now(source.tz).date()
        report = probe_source(settings, source, day, args.articles)
        sys.stdout.write("\n".join(render(report)) + "\n\n")
        if report.problems:
            broken.append(source.name)
    sys.stdout.write(f"{len(sources)} sources probed, " + (f"broken: {', '.join(broken)}\n" if broken else "all fine\n"))
    return 1 if broken else 0
