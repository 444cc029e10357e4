"""One frozen settings object built from the environment (and an optional `.env` file).

Reads: DATABASE_URL, S3_ENDPOINT_URL, S3_BUCKET, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
NEWSARCHIVE_STATE_DIR, NEWSARCHIVE_TIMEZONE, NEWSARCHIVE_HOST_OVERRIDES, NEWSARCHIVE_USER_AGENT,
NEWSARCHIVE_PG_PORT, NEWSARCHIVE_S3_PORT, NEWSARCHIVE_REPLAY_PORT, NEWSARCHIVE_AIRFLOW_PORT,
NEWSARCHIVE_REDIS_PORT, NEWSARCHIVE_CLUSTER_WORKERS, NEWSARCHIVE_CRAWL_TIMEOUT, NEWSARCHIVE_CRAWL_PARALLEL,
NEWSARCHIVE_QUERY_TIMEOUT, NEWSARCHIVE_DOWNLOAD_DELAY, NEWSARCHIVE_AUTOTHROTTLE,
NEWSARCHIVE_RETRY_AFTER_MAX, NEWSARCHIVE_BACKOFF, NEWSARCHIVE_BLOCK_BACKOFF, NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED,
NEWSARCHIVE_MAX_PAGE_BYTES, NEWSARCHIVE_CRAWL_POOL, NEWSARCHIVE_CRAWL_POOL_SLOTS, NEWSARCHIVE_TASK_RETRIES,
NEWSARCHIVE_BULK_LOAD_DAYS, NEWSARCHIVE_SOURCES, NEWSARCHIVE_SOURCE_MODULES, NEWSARCHIVE_ENV_FILE.
This is the only module that reads the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import overload
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from etl.core.errors import SettingsError

DEFAULT_BUCKET = "newsarchive"
DEFAULT_STATE_DIR = ".newsarchive"
DEFAULT_TIMEZONE = "Asia/Almaty"
DEFAULT_USER_AGENT = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive; research archive)"
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_HOST_RE = re.compile(r"^[a-z0-9.-]+$")


@dataclass(frozen=True)
class Settings:
    """Everything the ETL, spiders and DAGs read from the environment, validated once."""

    database_url: str | None
    s3_endpoint_url: str | None
    s3_bucket: str
    s3_region: str
    aws_access_key_id: str
    aws_secret_access_key: str
    state_dir: Path
    timezone: ZoneInfo
    host_overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    user_agent: str = DEFAULT_USER_AGENT
    pg_port: int = 55432
    s3_port: int = 8333
    replay_port: int = 8700
    #: The local Airflow's API server and UI (`make airflow`), on 127.0.0.1.
    airflow_port: int = 8080
    #: The local cluster's Redis (Celery broker, `make cluster`), on 127.0.0.1.
    redis_port: int = 56379
    #: Celery workers the local cluster starts (`make cluster`), each its own process and hostname.
    cluster_workers: int = 2
    crawl_timeout: int = 1800
    #: Crawls of different sources the one crawl process of `backfill`/`ingest` runs at once (1 = one at a time).
    crawl_parallel: int = 4
    #: Seconds one statement of `newsarchive query` may run (0 = no limit).
    query_timeout: int = 60
    #: Seconds between requests to one host; None = each source's own politeness (its spec).
    download_delay: float | None = None
    #: Scrapy AutoThrottle; None = on when the effective delay is above 0.
    autothrottle: bool | None = None
    retry_after_max: float = 120.0
    backoff: float = 5.0
    block_backoff: float = 60.0
    max_consecutive_blocked: int = 10
    #: The largest page (decoded bytes) the crawl keeps and extract reads; a larger one is a failed item.
    max_page_bytes: int = 20 * 1024 * 1024
    #: The Airflow pool every crawl task takes a slot of, and its size (created by the deployment).
    crawl_pool: str = "news_sites"
    crawl_pool_slots: int = 2
    task_retries: int = 3
    #: `backfill` loads in bulk mode (search indexes built once at the end, etl/store/bulk.py) when it has at
    #: least this many days to run; 0 = never.
    bulk_load_days: int = 60
    #: The sources the DAG `news_daily` runs (names); empty = every enabled source.
    sources: tuple[str, ...] = ()
    #: Extra modules whose source specs are registered next to the built-in ones.
    source_modules: tuple[str, ...] = ()

    def require_database_url(self) -> str:
        """Return DATABASE_URL or fail with a message naming it."""
        if not self.database_url:
            raise SettingsError(
                "DATABASE_URL is not set: run `newsarchive services up` and export what it prints, "
                "or point it at your PostgreSQL"
            )
        return self.database_url

    def require_s3_endpoint_url(self) -> str | None:
        """Return S3_ENDPOINT_URL (None means AWS itself) after checking the keys are set."""
        if not self.aws_access_key_id:
            raise SettingsError("AWS_ACCESS_KEY_ID is not set")
        if not self.aws_secret_access_key:
            raise SettingsError("AWS_SECRET_ACCESS_KEY is not set")
        return self.s3_endpoint_url


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a `.env` file: KEY=VALUE lines, `#` comments, optional quotes and `export ` prefix."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].strip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise SettingsError(f"{path}:{number}: expected KEY=VALUE, got {raw.strip()!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def parse_host_overrides(raw: str) -> dict[str, str]:
    """Parse `host=http://127.0.0.1:8700,other.host=http://...` into a host -> base URL map."""
    overrides: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        host, sep, target = item.partition("=")
        host = host.strip().lower()
        target = target.strip().rstrip("/")
        parts = urlsplit(target)
        if not sep or not _HOST_RE.match(host) or parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(
                f"NEWSARCHIVE_HOST_OVERRIDES: cannot read {item!r}; expected host=http://127.0.0.1:8700"
            )
        overrides[host] = target
    return overrides


def _int(env: Mapping[str, str], name: str, default: int, low: int = 1, high: int = 65535) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


@overload
def _float(env: Mapping[str, str], name: str, default: float) -> float: ...
@overload
def _float(env: Mapping[str, str], name: str, default: None) -> float | None: ...
def _float(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 0 or 1, got {raw!r}")


def _names(env: Mapping[str, str], name: str, what: str = "Python module name") -> tuple[str, ...]:
    items = tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())
    for item in items:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", item):
            raise SettingsError(f"{name}: {item!r} is not a {what}")
    return items


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    scheme = urlsplit(raw).scheme
    if scheme not in schemes:
        raise SettingsError(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}, got {raw!r}")
    return raw


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Build the settings from `environ` (default: os.environ over `.env` in the working directory)."""
    env_source = dict(os.environ if environ is None else environ)
    explicit = env_file is not None or "NEWSARCHIVE_ENV_FILE" in env_source
    file_path = env_file or Path(env_source.get("NEWSARCHIVE_ENV_FILE", ".env"))
    env: dict[str, str] = {}
    if explicit or environ is None:  # an explicit mapping reads `.env` only when asked to
        if file_path.is_file():
            env.update(read_env_file(file_path))
        elif explicit:
            raise SettingsError(f"NEWSARCHIVE_ENV_FILE: no such file {str(file_path)!r}")
    env.update(env_source)

    bucket = env.get("S3_BUCKET", "").strip() or DEFAULT_BUCKET
    if not _BUCKET_RE.match(bucket):
        raise SettingsError(f"S3_BUCKET {bucket!r} is not a valid bucket name (3-63 of a-z, 0-9, '.', '-')")
    tz_name = env.get("NEWSARCHIVE_TIMEZONE", "").strip() or DEFAULT_TIMEZONE
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"NEWSARCHIVE_TIMEZONE {tz_name!r} is not a known time zone") from None
    state_dir = Path(env.get("NEWSARCHIVE_STATE_DIR", "").strip() or DEFAULT_STATE_DIR).expanduser().absolute()
    user_agent = env.get("NEWSARCHIVE_USER_AGENT", "").strip() or DEFAULT_USER_AGENT
    if not re.fullmatch(r"[ -~]+", user_agent):  # an HTTP header value: printable ASCII, one line
        raise SettingsError(f"NEWSARCHIVE_USER_AGENT must be printable ASCII on one line, got {user_agent!r}")

    return Settings(
        database_url=_url(env, "DATABASE_URL", ("postgresql", "postgresql+psycopg2", "postgres")),
        s3_endpoint_url=_url(env, "S3_ENDPOINT_URL", ("http", "https")),
        s3_bucket=bucket,
        s3_region=env.get("S3_REGION", "").strip() or "us-east-1",
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "").strip(),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "").strip(),
        state_dir=state_dir,
        timezone=timezone,
        host_overrides=MappingProxyType(parse_host_overrides(env.get("NEWSARCHIVE_HOST_OVERRIDES", ""))),
        user_agent=user_agent,
        pg_port=_int(env, "NEWSARCHIVE_PG_PORT", 55432, 1024),
        s3_port=_int(env, "NEWSARCHIVE_S3_PORT", 8333, 1024),
        replay_port=_int(env, "NEWSARCHIVE_REPLAY_PORT", 8700, 1024),
        airflow_port=_int(env, "NEWSARCHIVE_AIRFLOW_PORT", 8080, 1024),
        redis_port=_int(env, "NEWSARCHIVE_REDIS_PORT", 56379, 1024),
        cluster_workers=_int(env, "NEWSARCHIVE_CLUSTER_WORKERS", 2, 1, 16),
        crawl_timeout=_int(env, "NEWSARCHIVE_CRAWL_TIMEOUT", 1800, 10, 86400),
        crawl_parallel=_int(env, "NEWSARCHIVE_CRAWL_PARALLEL", 4, 1, 64),
        query_timeout=_int(env, "NEWSARCHIVE_QUERY_TIMEOUT", 60, 0, 86400),
        download_delay=_float(env, "NEWSARCHIVE_DOWNLOAD_DELAY", None),
        autothrottle=_flag(env, "NEWSARCHIVE_AUTOTHROTTLE"),
        retry_after_max=_float(env, "NEWSARCHIVE_RETRY_AFTER_MAX", 120.0),
        backoff=_float(env, "NEWSARCHIVE_BACKOFF", 5.0),
        block_backoff=_float(env, "NEWSARCHIVE_BLOCK_BACKOFF", 60.0),
        max_consecutive_blocked=_int(env, "NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED", 10, 0, 100000),
        max_page_bytes=_int(env, "NEWSARCHIVE_MAX_PAGE_BYTES", 20 * 1024 * 1024, 65536, 1024 ** 3),
        crawl_pool=env.get("NEWSARCHIVE_CRAWL_POOL", "").strip() or "news_sites",
        crawl_pool_slots=_int(env, "NEWSARCHIVE_CRAWL_POOL_SLOTS", 2, 1, 1000),
        task_retries=_int(env, "NEWSARCHIVE_TASK_RETRIES", 3, 0, 20),
        bulk_load_days=_int(env, "NEWSARCHIVE_BULK_LOAD_DAYS", 60, 0, 1_000_000),
        sources=_names(env, "NEWSARCHIVE_SOURCES", "source name"),
        source_modules=_names(env, "NEWSARCHIVE_SOURCE_MODULES"),
    )
