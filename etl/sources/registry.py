"""The source registry: the built-in specs, plus those of the modules named in `Settings.source_modules`.

A source module defines `SOURCES`, a tuple of `Source` specs; every module of this package but `spec` and
`registry` is one (so a new built-in source is just its module). Reads NEWSARCHIVE_SOURCE_MODULES (through
`etl.core.config.load_settings`) the first time a source is looked up that is not built in, or the whole
list is asked for.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Iterable
from datetime import datetime

from etl.core.errors import SettingsError, UserError
from etl.core.model import Article
from etl.sources.spec import Source

logger = logging.getLogger(__name__)

SOURCES: dict[str, Source] = {}
_loaded_modules: set[str] = set()
_configured = False


def register(*sources: Source) -> None:
    """Add specs to the registry; a second spec under a registered name is an error."""
    for source in sources:
        known = SOURCES.setdefault(source.name, source)
        if known is not source:
            raise SettingsError(f"two source specs are named {source.name!r}")


def register_modules(names: Iterable[str]) -> None:
    """Import each module (dotted name) and register the specs in its `SOURCES`; each module once."""
    for name in names:
        if name in _loaded_modules:
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise SettingsError(f"NEWSARCHIVE_SOURCE_MODULES: cannot import {name!r}: {exc}") from None
        specs = getattr(module, "SOURCES", None)
        if not isinstance(specs, tuple) or not all(isinstance(spec, Source) for spec in specs):
            raise SettingsError(f"NEWSARCHIVE_SOURCE_MODULES: {name} has no SOURCES tuple of Source specs")
        register(*specs)
        _loaded_modules.add(name)
        logger.debug("registered sources %s from %s", ", ".join(spec.name for spec in specs), name)


def load_configured() -> None:
    """Register the specs of the modules named in the settings (NEWSARCHIVE_SOURCE_MODULES), once."""
    global _configured
    if not _configured:
        from etl.core.config import load_settings

        register_modules(load_settings().source_modules)
        _configured = True


def get_source(name: str) -> Source:
    """Return the registered source called `name`, or a user error listing the known ones."""
    if name not in SOURCES:
        load_configured()
    try:
        return SOURCES[name]
    except KeyError:
        raise UserError(f"unknown source {name!r}; known sources: {', '.join(sorted(SOURCES))}") from None


def all_sources() -> list[Source]:
    """Every registered source (the configured modules' too), enabled or not."""
    load_configured()
    return list(SOURCES.values())


def enabled_sources() -> list[Source]:
    """Return the sources the daily DAG runs."""
    return [source for source in all_sources() if source.enabled]


def extract_article(
    source: str, url: str, html: str | bytes, *, fetched_at: datetime | None = None,
    listed_at: datetime | None = None, content_type: str | None = None,
) -> Article:
    """Parse one fetched page of the source called `source` (ExtractionError when it is not an article);
    `listed_at`, the date discovery gave for the URL, dates a page that shows none; `content_type` is the
    response's HTTP Content-Type, whose charset decodes bytes first."""
    return get_source(source).extract(url, html, fetched_at=fetched_at, listed_at=listed_at,
                                      content_type=content_type)


_PACKAGE = __name__.rsplit(".", 1)[0]
for _info in pkgutil.iter_modules(importlib.import_module(_PACKAGE).__path__):
    if _info.name not in ("spec", "registry"):
        register(*importlib.import_module(f"{_PACKAGE}.{_info.name}").SOURCES)
