"""`newsarchive sources`: every registered source listed with hosts, languages, discovery, politeness and
unconfirmed facts, as text and as JSON; an unknown source is a one-line user error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.cli import main as cli
from etl.cli.sources import describe, markdown_table
from etl.sources import SOURCES


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["sources", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_json_lists_every_registered_source(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--format", "json")
    assert status == 0
    items = {item["name"]: item for item in json.loads(out)}
    assert set(items) == set(SOURCES)
    for name, source in SOURCES.items():
        item = items[name]
        assert item["hosts"] == list(source.hosts)
        assert item["enabled"] == source.enabled
        assert item["discovery"] == [method.describe() for method in source.discovery] and item["discovery"]
        assert item["download_delay"] == source.download_delay
        assert item["concurrency_per_host"] == source.concurrency_per_host
        assert item["unconfirmed"] == [fact.text for fact in source.unconfirmed]
        assert item["languages"] and item["parser_versions"], name
    assert items["egemen"]["parser_versions"] == ["egemen-2025.1", "egemen-2026.1"]


def test_text_shows_each_source_block(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys)
    assert status == 0
    for source in SOURCES.values():
        assert f"{source.name}  ({source.display_name}, " in out
        for host in source.hosts:
            assert host in out
        for fact in source.unconfirmed:
            assert f"    - {fact}" in out
    assert out.rstrip().endswith(f"{len(SOURCES)} sources, {sum(s.enabled for s in SOURCES.values())} enabled")
    assert not any(line != line.rstrip() for line in out.splitlines())


def test_one_source(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--source", "tengrinews")
    assert status == 0
    assert "kaz.tengrinews.kz" in out and "egemen.kz" not in out
    assert "politeness:  1 s between requests, 1 at a time per host" in out
    assert "/kk-sitemap-index.xml" in out


def test_unknown_source_is_a_user_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--source", "nosuch")
    assert status == 2 and out == ""
    assert err.strip().splitlines() == [line for line in err.strip().splitlines() if "unknown source 'nosuch'" in line]


def test_docs_table_is_generated_from_the_specs(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/sources.md holds exactly `newsarchive sources --format markdown` between its markers."""
    status, out, _ = run(capsys, "--format", "markdown")
    assert status == 0 and out == markdown_table([describe(source) for source in SOURCES.values()])
    text = (Path(__file__).resolve().parents[1] / "docs" / "sources.md").read_text(encoding="utf-8")
    table = text.split("<!-- sources-table:begin -->\n", 1)[1].split("<!-- sources-table:end -->", 1)[0]
    assert table == out, "docs/sources.md: regenerate the table with `newsarchive sources --format markdown`"
