"""Parsers of Kazinform's other editions: qz. (Latin-script Kazakh), www.inform.kz/ru (Russian), en. (English).

The editions share the kaz. edition's markups (2025: `div.article__body-text`; 2026: `div.article__content`),
so each edition's version classes are the kaz. versions with the edition's dateline rule: the place before
`. KAZINFORM –` is written in the edition's script (`ASTANA`, `AQTÓBE` on qz.; `ASTANA` on en.; `АСТАНА` on
ru.) and the version string names the edition (`kazinform_qz-2026.1`). Visible times use the edition's month
names ("Qańtar", "Января"/"Январь", "January"), which `etl.core.dates.month_number` already reads.
Reads no settings.
"""

from __future__ import annotations

import re

from etl.extract.base import ParserFamily
from etl.extract.kazinform import KazinformV2025, KazinformV2026

#: Latin-script Kazakh capitals (acute-letter alphabet: Á Ǵ I Ń Ó Ú Ý) before `. KAZINFORM –`.
QZ_DATELINE_RE = re.compile(r"^([A-ZÁǴIŃÓÚÝ][A-ZÁǴIŃÓÚÝ -]+)\. KAZINFORM\s*[–—-]")
EN_DATELINE_RE = re.compile(r"^([A-Z][A-Z' -]+)\. KAZINFORM\s*[–—-]")
RU_DATELINE_RE = re.compile(r"^([А-ЯЁ][А-ЯЁ -]+)\. (?:KAZINFORM|КАЗИНФОРМ)\s*[–—-]")


def edition_parsers(source: str, dateline_re: re.Pattern[str]) -> ParserFamily:
    """The 2025 and 2026 Kazinform versions with `source`'s dateline rule and version names."""
    prefix = "".join(part.capitalize() for part in source.split("_"))

    class V2025(KazinformV2025):
        VERSION = f"{source}-2025.1"
        DATELINE_RE = dateline_re

    class V2026(KazinformV2026):
        VERSION = f"{source}-2026.1"
        DATELINE_RE = dateline_re

    for version in (V2025, V2026):
        version.__name__ = version.__qualname__ = prefix + version.__name__
        version.__doc__ = f"{source}: {version.VERSION} ({version.__mro__[1].__doc__})"
    return ParserFamily(versions=(V2025, V2026), default=V2026)


KAZINFORM_QZ_PARSERS = edition_parsers("kazinform_qz", QZ_DATELINE_RE)
KAZINFORM_RU_PARSERS = edition_parsers("kazinform_ru", RU_DATELINE_RE)
KAZINFORM_EN_PARSERS = edition_parsers("kazinform_en", EN_DATELINE_RE)
