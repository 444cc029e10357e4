"""`newsarchive sources [--source S] [--format text|json|markdown]`: list the registered sources.

Everything shown is derived from the source specs (etl/sources/): hosts, languages, enabled, discovery,
politeness limits, parser versions and the facts about the live site not yet confirmed. `--format markdown`
prints the table of docs/sources.md. Reads NEWSARCHIVE_SOURCE_MODULES (extra specs); no database or network.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from etl.core.config import Settings
from etl.sources import Source, all_sources, get_source, register_modules


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `sources` subcommand."""
    parser = sub.add_parser(
        "sources", help="list the registered news sources: hosts, languages, discovery, politeness",
        description="Every source the archive knows (the specs in etl/sources/), enabled or not, with its "
        "discovery, politeness limits, parser versions and unconfirmed facts about the live site.",
    )
    parser.add_argument("--source", help="only this source")
    parser.add_argument("--format", choices=["text", "json", "markdown"], default="text",
                        help="output format (default text; markdown: the table of docs/sources.md)")
    parser.set_defaults(handler=cmd_sources)


def describe(source: Source) -> dict[str, Any]:
    """One source as a JSON-ready dict."""
    return {
        "name": source.name,
        "display_name": source.display_name,
        "base_url": source.base_url,
        "hosts": list(source.hosts),
        "languages": list(source.languages or (source.language,)),
        "timezone": source.timezone,
        "enabled": source.enabled,
        "discovery": [method.describe() for method in source.discovery],
        "download_delay": source.download_delay,
        "concurrency_per_host": source.concurrency_per_host,
        "parser_versions": [version.VERSION for version in source.parser.versions],
        "unconfirmed": [str(fact) for fact in source.unconfirmed],
    }


def as_text(item: dict[str, Any]) -> list[str]:
    """The readable block of one source."""
    state = "enabled" if item["enabled"] else "disabled"
    lines = [
        f"{item['name']}  ({item['display_name']}, {state})",
        f"  hosts:       {', '.join(item['hosts'])}",
        f"  languages:   {', '.join(item['languages'])} (times in {item['timezone']})",
        "  discovery:   daily and backfill alike",
        *(f"    - {method}" for method in item["discovery"]),
        f"  politeness:  {item['download_delay']:g} s between requests, "
        f"{item['concurrency_per_host']} at a time per host",
        f"  parsers:     {', '.join(item['parser_versions']) or '-'}",
        "  unconfirmed:" + ("" if item["unconfirmed"] else " -"),
    ]
    lines += [f"    - {fact}" for fact in item["unconfirmed"]]
    return lines


def markdown_table(items: list[dict[str, Any]]) -> str:
    """The sources table of docs/sources.md."""
    lines = [
        "| source | outlet | hosts | languages | discovery | politeness | parser versions | unconfirmed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for item in items:
        cells = [
            f"`{item['name']}`" + ("" if item["enabled"] else " (disabled)"),
            item["display_name"],
            ", ".join(item["hosts"]),
            ", ".join(item["languages"]),
            "<br>".join(item["discovery"]),
            f"{item['download_delay']:g} s, {item['concurrency_per_host']} per host",
            ", ".join(item["parser_versions"]),
            str(len(item["unconfirmed"])),
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    """Print the registered sources."""
    register_modules(settings.source_modules)
    chosen = [get_source(args.source)] if args.source else all_sources()
    items = [describe(source) for source in chosen]
    if args.format == "json":
        sys.stdout.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return 0
    if args.format == "markdown":
        sys.stdout.write(markdown_table(items))
        return 0
    for position, item in enumerate(items):
        if position:
            sys.stdout.write("\n")
        sys.stdout.write("\n".join(as_text(item)) + "\n")
    enabled = sum(1 for item in items if item["enabled"])
    sys.stdout.write(f"\n{len(items)} sources, {enabled} enabled\n")
    return 0
