"""newsarchive ETL: plain-Python core (settings, services, archive, extract, clean, dedup, load, CLI)."""

from __future__ import annotations

__version__ = "0.1.0"
