"""CLI subcommands that live in their own modules (listed in etl.cli.main.COMMAND_MODULES), and shared argument types."""

from __future__ import annotations

import argparse
from datetime import date

from etl.core.errors import UserError


def date_arg(value: str) -> date:
    """argparse type for a YYYY-MM-DD day; a bad value is argparse's one-line usage error."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def check_range(since: date | None, until: date | None) -> None:
    """Refuse (one line) a --since that comes after --until: the range would silently select nothing."""
    if since is not None and until is not None and since > until:
        raise UserError(f"--since {since} is after --until {until}")


def source_names(values: list[str]) -> list[str]:
    """The sources named by repeated/comma-separated `--source` values (`all`: the enabled ones), in order."""
    from etl.sources import enabled_sources, get_source  # the registry loads on use, not at CLI start

    names: list[str] = []
    for value in values:
        for name in filter(None, (part.strip() for part in value.split(","))):
            found = [s.name for s in enabled_sources()] if name == "all" else [get_source(name).name]
            names += [n for n in found if n not in names]
    if not names:
        raise UserError("--source names no source")
    return names
