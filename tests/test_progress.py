"""The backfill progress bar on a terminal: log lines go above it instead of breaking it."""

from __future__ import annotations

import io
import logging
from datetime import date

from etl.steps.progress import DayProgress


class Terminal(io.StringIO):
    """What a terminal receives (isatty true, so the bar is redrawn in place)."""

    def isatty(self) -> bool:
        return True


def test_log_lines_are_written_above_the_bar() -> None:
    term = Terminal()
    handler = logging.StreamHandler(term)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    logger = logging.getLogger("test_progress")
    logger.setLevel(logging.INFO)
    try:
        progress = DayProgress(term, 2, "backfill kazinform")
        with progress.routing_logs():
            progress.start_day(0, date(2026, 1, 1))
            progress.set_step("crawl", "3 fetched")
            logger.warning("download failed: https://kaz.inform.kz/x")
            progress.finish_day("done")
            logger.warning("between days")
        logger.warning("after")  # the handler writes to the terminal directly again
        assert handler.stream is term
    finally:
        root.removeHandler(handler)
    bar = "backfill kazinform [------------------------] day 1/2 2026-01-01 crawl | articles 3 fetched"
    out = term.getvalue()
    # The bar is cleared, the log line written on its own line, then the bar drawn again.
    assert f"{bar}\r\x1b[2KWARNING download failed: https://kaz.inform.kz/x\n{bar}" in out
    lines = out.replace("\r\x1b[2K", "\n").splitlines()
    assert "WARNING download failed: https://kaz.inform.kz/x" in lines
    assert "WARNING between days" in lines and "WARNING after" in lines
    assert not any(line.startswith("backfill") and "WARNING" in line for line in lines)
