"""newsarchive ETL in layers, bottom to top: core (settings, errors, model, dates), transform, extract, sources,
store, steps and read, cli; dev (embedded services, replay site) is development tooling only the CLI imports."""

from __future__ import annotations

__version__ = "0.1.0"
