"""The offline replay web server (`newsarchive replay-site`): serves `fixtures/replay/` by Host header."""

from __future__ import annotations

from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer, serve_forever

__all__ = ["DEFAULT_ROOT", "ReplayServer", "serve_forever"]
