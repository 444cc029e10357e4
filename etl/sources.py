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
    #: Every language the edition publishes in (ISO 639-1); `language` is the main one.
    languages: tuple[str, ...] = ()
    #: How the spider finds a day's articles (daily run) and a past range's (backfill), for `newsarchive sources`.
    daily_discovery: str = ""
    backfill_discovery: str = ""
    #: Politeness limits for this source's hosts: seconds between requests and parallel requests per host.
    download_delay: float = 1.0
    concurrency_per_host: int = 1
    #: Facts about the live site not yet confirmed on a live run (see ../shared/SOURCES.md tags).
    unconfirmed: tuple[str, ...] = ()

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
    languages=("kk",),
    daily_discovery="RSS /rss/kz.xml (items in the interval) + /lenta/?page=N&start_date=D&end_date=D",
    backfill_discovery="/lenta/?page=N&start_date=D&end_date=D for each local day D of the range",
    unconfirmed=("date filter of /lenta/ on kaz. (seen on www.)",),
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
