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
