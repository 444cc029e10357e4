"""The source registry: which outlets exist, their hosts, article URL pattern and id. Reads no settings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from etl.core.errors import UserError


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


def _kazinform_edition(code: str, edition: str, site: str, path: str, language: str, feed: str, lenta: str,
                       unconfirmed: tuple[str, ...]) -> Source:
    """Another Kazinform edition: the kaz. discovery (RSS + dated lenta) at `site`, articles `<site><path><slug>-<hex>`."""
    host = site.removeprefix("https://").split("/")[0]
    pattern = re.escape(f"https://{host}{path}") + r"[a-z0-9-]+-(?P<id>[0-9a-f]{6,8})/?$"
    return Source(
        name=f"kazinform_{code}", display_name=f"Kazinform ({edition} edition)", base_url=site, hosts=(host,),
        language=language, article_url_re=re.compile("^" + pattern), spider=f"kazinform_{code}",
        languages=(language,), unconfirmed=unconfirmed,
        daily_discovery=f"RSS {feed} (items in the interval) + {lenta}?page=N&start_date=D&end_date=D",
        backfill_discovery=f"{lenta}?page=N&start_date=D&end_date=D for each local day D of the range",
    )


KAZINFORM_QZ = _kazinform_edition(
    "qz", "Latin-script Kazakh", "https://qz.inform.kz", "/news/", "kk", "/rss/qz.xml", "/lenta/",
    ("RSS path /rss/qz.xml [guess]", "date filter of /lenta/ on qz. (seen on www.) [likely]"),
)
KAZINFORM_RU = _kazinform_edition(
    "ru", "Russian", "https://www.inform.kz/ru", "/ru/", "ru", "/rss/rus.xml", "/ru/lenta",
    ("RSS path /rss/rus.xml [likely]",),
)
KAZINFORM_EN = _kazinform_edition(
    "en", "English", "https://en.inform.kz", "/news/", "en", "/rss/eng.xml", "/lenta/",
    ("RSS path /rss/eng.xml [likely]", "date filter of /lenta/ on en. (seen on www.) [likely]"),
)

TENGRINEWS = Source(
    name="tengrinews",
    display_name="Tengrinews (Kazakh edition)",
    base_url="https://kaz.tengrinews.kz",
    hosts=("kaz.tengrinews.kz",),
    language="kk",
    article_url_re=re.compile(r"^https://kaz\.tengrinews\.kz/[a-z_]+/[a-z0-9-]+-(?P<id>\d{4,9})/?$"),
    spider="tengrinews",
    languages=("kk",),
    daily_discovery="RSS /news.rss (items whose pubDate is in the interval) + the news sitemaps below",
    backfill_discovery="sitemap index /kk-sitemap-index.xml: children named *sitemap-news* whose <lastmod> is "
    "not before the interval start; their entries published in the interval",
    unconfirmed=(
        "news sitemap entries carry news:publication_date (else <lastmod> is read as the publication time) [likely]",
        "a news sitemap child's <lastmod> is its newest entry's time [likely]",
        "2026 markup div.tn-news-text / h1.tn-news-title (fixture layout variant) [guess]",
    ),
)

EGEMEN = Source(
    name="egemen",
    display_name="Egemen Qazaqstan",
    base_url="https://egemen.kz",
    hosts=("egemen.kz",),
    language="kk",
    # Both URL schemes, keyed on the numeric id: /article/<id>-<slug> and the planned /news/<id> (301s).
    article_url_re=re.compile(
        r"^https://egemen\.kz/(?=article/\d+-[a-z0-9-]+/?$|news/\d+/?$)(?:article|news)/(?P<id>\d+)"
    ),
    spider="egemen",
    languages=("kk",),
    daily_discovery="RSS /rss (about 50 newest items; pubDate in the interval) + /sitemap.xml <lastmod>",
    backfill_discovery="/sitemap.xml: <url> entries whose <lastmod> is in the interval",
    unconfirmed=(
        "/news/<id> scheme with 301s from /article/<id>-<slug> (planned for 2026) [likely]",
        "sitemap <lastmod> equals the publication time for articles never edited [likely]",
        "2026 markup div.news-body / h1.news-title (fixture layout variant) [guess]",
    ),
)

NUR = Source(
    name="nur",
    display_name="NUR.KZ (Kazakh edition)",
    base_url="https://kaz.nur.kz",
    hosts=("kaz.nur.kz",),
    language="kk",
    article_url_re=re.compile(r"^https://kaz\.nur\.kz/[a-z-]+/(?P<id>\d{6,9})-[a-z0-9-]+/?$"),
    spider="nur",
    languages=("kk",),
    daily_discovery="RSS /rss/all.rss (50 newest; pubDate in the interval) + /latest/?page=N until past the "
    "interval + the sitemap below",
    backfill_discovery="/article-index-sitemap.xml: monthly children overlapping the interval (by the month "
    "in the name, else <lastmod>); entries whose <lastmod> is in the interval",
    unconfirmed=(
        "article URL /<section>/<numeric id>-<slug>/ [guess]",
        "/article-index-sitemap.xml children are monthly and their <lastmod> may be frozen [seen, possibly frozen]",
        "sitemap entry <lastmod> equals the publication time for articles never edited [likely]",
        "/latest/ cards carry <time datetime> (text 'Бүгін, HH:MM') [guess]",
        "markup div.formatted-body (2025) / div.article-body__content (2026 layout variant) [guess]",
    ),
)

AZATTYQ = Source(
    name="azattyq",
    display_name="Azattyq (RFE/RL Kazakh service)",
    base_url="https://www.azattyq.org",
    hosts=("www.azattyq.org",),
    language="kk",
    article_url_re=re.compile(r"^https://www\.azattyq\.org/a/(?:[a-z0-9-]+/)?(?P<id>\d{8})\.html$"),
    spider="azattyq",
    languages=("kk",),
    daily_discovery="section archives /z/<id>?p=N (li.archive-list__item .media-block), newest first, "
    "until an item older than the interval",
    backfill_discovery="the same section archives, paginated further back (max_pages)",
    unconfirmed=(
        "section ids /z/330 (Kazakhstan) and /z/360 (world) [guess]",
        "archive item date printed as 'DD <month> YYYY' in local time [guess]",
        "/sitemap.xml [guess] (not used)",
        "2026 markup div.article__body .body-container (layout variant) [guess]",
    ),
)

SOURCES: dict[str, Source] = {source.name: source for source in (KAZINFORM, KAZINFORM_QZ, KAZINFORM_RU, KAZINFORM_EN, TENGRINEWS, EGEMEN, NUR, AZATTYQ)}


def get_source(name: str) -> Source:
    """Return the registered source called `name`, or a user error listing the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise UserError(f"unknown source {name!r}; known sources: {', '.join(sorted(SOURCES))}") from None


def enabled_sources() -> list[Source]:
    """Return the sources the daily DAG runs."""
    return [source for source in SOURCES.values() if source.enabled]
