"""Database connections (SQLAlchemy engine over psycopg2). Reads DATABASE_URL through Settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from etl.core.errors import SettingsError

log = logging.getLogger(__name__)


def sqlalchemy_url(url: str) -> str:
    """Normalise a libpq-style URL to the psycopg2 dialect SQLAlchemy expects."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    try:
        make_url(url)
    except ArgumentError:
        raise SettingsError(f"DATABASE_URL is not a valid database URL: {url!r}") from None
    return url


@lru_cache(maxsize=8)
def engine(url: str) -> Engine:
    """One pooled engine per URL, with pre-ping so a restarted server does not break the next task."""
    return create_engine(sqlalchemy_url(url), pool_pre_ping=True, pool_size=2, max_overflow=2,
                         connect_args={"connect_timeout": 10, "application_name": "newsarchive"})


@contextmanager
def raw_connection(url: str) -> Iterator[Any]:
    """A DB-API (psycopg2) connection in one transaction: committed on success, rolled back on error."""
    conn = engine(url).raw_connection()
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()
