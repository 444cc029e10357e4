"""The source registry: which outlets exist, their hosts, article URL pattern and id. Reads no settings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from etl.errors import UserError


@dataclass(frozen=True)
class Source:
    """One outlet edition: its hosts, language, article URL pattern (group `id`) and spider name."""

    name: str
    display_name: str
    base_url: str
    hosts: tuple[str, ...]
    language: str
    article_url_re: re.Pattern[str]
    spider: str
    enabled: bool = True

    def article_id(self, url: str) -> str | None:
        """Return the article id encoded in `url`, or None when it is not an article URL of this source."""
        match = self.article_url_re.match(url)
        return match.group("id") if match else None

    def is_article_url(self, url: str) -> bool:
        """Tell whether `url` is an article page of this source."""
        return self.article_url_re.match(url) is not None


KAZINFORM = Source(
    name="kazinform",
    display_name="Kazinform (Kazakh edition)",
    base_url="https://kaz.inform.kz",
    hosts=("kaz.inform.kz",),
    language="kk",
    article_url_re=re.compile(r"^https://kaz\.inform\.kz/news/[a-z0-9-]+-(?P<id>[0-9a-f]{6,8})/?$"),
    spider="kazinform",
)

SOURCES: dict[str, Source] = {source.name: source for source in (KAZINFORM,)}


def get_source(name: str) -> Source:
    """Return the registered source called `name`, or a user error listing the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise UserError(f"unknown source {name!r}; known sources: {', '.join(sorted(SOURCES))}") from None


def enabled_sources() -> list[Source]:
    """Return the sources the daily DAG runs."""
    return [source for source in SOURCES.values() if source.enabled]
