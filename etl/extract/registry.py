"""The parser registry: source name -> its family of markup-version parsers. Reads no settings."""

from __future__ import annotations

from etl.core.errors import UserError
from etl.extract.azattyq import AZATTYQ_PARSERS
from etl.extract.base import ParserFamily
from etl.extract.egemen import EGEMEN_PARSERS
from etl.extract.kazinform import KAZINFORM_PARSERS
from etl.extract.kazinform_editions import KAZINFORM_EN_PARSERS, KAZINFORM_QZ_PARSERS, KAZINFORM_RU_PARSERS
from etl.extract.nur import NUR_PARSERS
from etl.extract.tengrinews import TENGRINEWS_PARSERS

PARSERS: dict[str, ParserFamily] = {
    "nur": NUR_PARSERS, "azattyq": AZATTYQ_PARSERS,
    "kazinform": KAZINFORM_PARSERS,
    "tengrinews": TENGRINEWS_PARSERS, "egemen": EGEMEN_PARSERS,
    "kazinform_qz": KAZINFORM_QZ_PARSERS, "kazinform_ru": KAZINFORM_RU_PARSERS, "kazinform_en": KAZINFORM_EN_PARSERS,
}


def get_parser(source: str) -> ParserFamily:
    """Return the parser family registered for `source`, or a user error listing the known ones."""
    try:
        return PARSERS[source]
    except KeyError:
        raise UserError(f"no parser for source {source!r}; parsers exist for: {', '.join(sorted(PARSERS))}") from None
