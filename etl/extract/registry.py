"""The parser registry: source name -> its family of markup-version parsers. Reads no settings."""

from __future__ import annotations

from etl.errors import UserError
from etl.extract.base import ParserFamily
from etl.extract.kazinform import KAZINFORM_PARSERS

PARSERS: dict[str, ParserFamily] = {
    "kazinform": KAZINFORM_PARSERS,
}


def get_parser(source: str) -> ParserFamily:
    """Return the parser family registered for `source`, or a user error listing the known ones."""
    try:
        return PARSERS[source]
    except KeyError:
        raise UserError(f"no parser for source {source!r}; parsers exist for: {', '.join(sorted(PARSERS))}") from None
