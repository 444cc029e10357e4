"""Scrapy settings of a crawl come from the one Settings object (scrapers.settings.crawl_settings), not the env."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.settings import Settings as ScrapySettings

import scrapers.settings
from etl.core.config import load_settings
from etl.sources import get_source
from scrapers.run import crawl_command, crawl_job
from scrapers.settings import crawl_settings

START = datetime.fromisoformat("2026-01-01T00:00:00+05:00")
END = datetime.fromisoformat("2026-01-02T00:00:00+05:00")
SOURCE = get_source("kazinform")


def scrapy_settings(values: dict[str, str]) -> ScrapySettings:
    """What the crawl process sees: the project module, then the `-s` values at command-line priority."""
    result = ScrapySettings()
    result.setmodule(scrapers.settings, priority="project")
    result.setdict(values, priority="cmdline")
    return result


def test_every_crawl_knob_reaches_scrapy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The environment of the calling process is not read: only the Settings object counts.
    monkeypatch.setenv("NEWSARCHIVE_BLOCK_BACKOFF", "999")
    settings = load_settings({
        "NEWSARCHIVE_USER_AGENT": "test-agent/1",
        "NEWSARCHIVE_DOWNLOAD_DELAY": "0.25",
        "NEWSARCHIVE_HOST_OVERRIDES": "kaz.inform.kz=http://127.0.0.1:8700",
        "NEWSARCHIVE_TIMEZONE": "UTC",
        "NEWSARCHIVE_RETRY_AFTER_MAX": "7",
        "NEWSARCHIVE_BACKOFF": "1.5",
        "NEWSARCHIVE_BLOCK_BACKOFF": "0",
        "NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED": "4",
    })
    seen = scrapy_settings(crawl_settings(settings, SOURCE))
    assert seen.get("USER_AGENT") == "test-agent/1"
    assert seen.getfloat("DOWNLOAD_DELAY") == 0.25
    assert seen.getbool("AUTOTHROTTLE_ENABLED") is True
    assert seen.get("NEWSARCHIVE_HOST_OVERRIDES") == "kaz.inform.kz=http://127.0.0.1:8700"
    assert seen.get("NEWSARCHIVE_TIMEZONE") == "UTC"
    assert seen.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX") == 7.0
    assert seen.getfloat("NEWSARCHIVE_BACKOFF") == 1.5
    assert seen.getfloat("NEWSARCHIVE_BLOCK_BACKOFF") == 0.0
    assert seen.getint("NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED") == 4


@pytest.mark.parametrize(
    ("delay", "autothrottle", "expected_delay", "expected_throttle"),
    [
        (None, None, None, None),  # the source's own delay; AutoThrottle on when it is above 0
        (0.0, None, 0.0, False),
        (2.0, None, 2.0, True),
        (0.0, True, 0.0, True),
        (2.0, False, 2.0, False),
    ],
)
def test_delay_override_and_autothrottle(
    delay: float | None, autothrottle: bool | None, expected_delay: float | None, expected_throttle: bool | None
) -> None:
    settings = dataclasses.replace(load_settings({}), download_delay=delay, autothrottle=autothrottle)
    seen = scrapy_settings(crawl_settings(settings, SOURCE))
    spec_delay = SOURCE.download_delay
    assert seen.getfloat("DOWNLOAD_DELAY") == (spec_delay if expected_delay is None else expected_delay)
    assert seen.get("NEWSARCHIVE_DOWNLOAD_DELAY") == ("" if delay is None else str(delay))
    throttle = spec_delay > 0 if expected_throttle is None else expected_throttle
    assert seen.getbool("AUTOTHROTTLE_ENABLED") is throttle


def test_crawl_command_passes_every_value(tmp_path: Path) -> None:
    settings = load_settings({"NEWSARCHIVE_BLOCK_BACKOFF": "3"})
    args, values = crawl_job(SOURCE, START, END, "k", settings, tmp_path / "w.warc.gz", tmp_path / "m.json",
                             None, refetch=False)
    command = crawl_command(SOURCE.spider, args, values)
    passed = dict(command[i + 1].split("=", 1) for i, arg in enumerate(command) if arg == "-s")
    assert passed == {
        **crawl_settings(settings, SOURCE),
        "NEWSARCHIVE_WARC_PATH": str(tmp_path / "w.warc.gz"),
        "NEWSARCHIVE_MANIFEST_PATH": str(tmp_path / "m.json"),
    }
    assert passed["NEWSARCHIVE_BLOCK_BACKOFF"] == "3.0"
