"""`newsarchive sources [--source S] [--format text|json]`: list the registered sources.

For each source: name, display name, hosts, languages, enabled, daily and backfill discovery, politeness
limits, parser versions and the facts about the live site not yet confirmed. Reads no settings (no
database or network is needed).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from etl.core.config import Settings
from etl.sources import SOURCES, Source, get_source


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `sources` subcommand."""
    parser = sub.add_parser(
        "sources", help="list the registered news sources: hosts, languages, discovery, politeness",
        description="Every source the archive knows (etl/sources/__init__.py), enabled or not, with its daily and "
        "backfill discovery, politeness limits, parser versions and unconfirmed facts about the live site.",
    )
    parser.add_argument("--source", help="only this source")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format (default text)")
    parser.set_defaults(handler=cmd_sources)


def parser_versions(name: str) -> list[str]:
    """The markup-version names of the source's parser family (empty when none is registered)."""
    from etl.extract.registry import PARSERS

    family = PARSERS.get(name)
    return [version.VERSION for version in family.versions] if family else []


def describe(source: Source) -> dict[str, Any]:
    """One source as a JSON-ready dict."""
    return {
        "name": source.name,
        "display_name": source.display_name,
        "base_url": source.base_url,
        "hosts": list(source.hosts),
        "languages": list(source.languages or (source.language,)),
        "enabled": source.enabled,
        "daily_discovery": source.daily_discovery,
        "backfill_discovery": source.backfill_discovery,
        "download_delay": source.download_delay,
        "concurrency_per_host": source.concurrency_per_host,
        "parser_versions": parser_versions(source.name),
        "unconfirmed": list(source.unconfirmed),
    }


def as_text(item: dict[str, Any]) -> list[str]:
    """The readable block of one source."""
    state = "enabled" if item["enabled"] else "disabled"
    lines = [
        f"{item['name']}  ({item['display_name']}, {state})",
        f"  hosts:       {', '.join(item['hosts'])}",
        f"  languages:   {', '.join(item['languages'])}",
        f"  daily:       {item['daily_discovery'] or '-'}",
        f"  backfill:    {item['backfill_discovery'] or '-'}",
        f"  politeness:  {item['download_delay']:g} s between requests, "
        f"{item['concurrency_per_host']} at a time per host",
        f"  parsers:     {', '.join(item['parser_versions']) or '-'}",
        "  unconfirmed:" + ("" if item["unconfirmed"] else " -"),
    ]
    lines += [f"    - {fact}" for fact in item["unconfirmed"]]
    return lines


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    """Print the registered sources."""
    chosen = [get_source(args.source)] if args.source else list(SOURCES.values())
    items = [describe(source) for source in chosen]
    if args.format == "json":
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return 0
    for position, item in enumerate(items):
        if position:
            sys.stdout.write("\n")
        sys.stdout.write("\n".join(as_text(item)) + "\n")
    enabled = sum(1 for item in items if item["enabled"])
    sys.stdout.write(f"\n{len(items)} sources, {enabled} enabled\n")
    return 0
