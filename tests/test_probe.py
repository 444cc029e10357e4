"""`newsarchive probe` on the replay site: every source's discovery, chain and facts; archived in S3."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import MappingProxyType

import pytest

from etl.core.config import Settings
from etl.dev.replay.server import DEFAULT_ROOT, ReplayServer
from etl.sources import SOURCES, Source
from etl.steps.probe import CONFIRMED, REFUTED, probe_source
from etl.store import s3

REPO = Path(__file__).resolve().parent.parent
DAY = date(2026, 1, 1)
#: Facts the bundled replay holds (it was generated to match them), by source.
REPLAY_FACTS = {
    "kazinform": {"date filter of /lenta/ on kaz. (seen on www.)"},
    "kazinform_qz": {"RSS path /rss/qz.xml [guess]"},
    "nur": {"article URL /<section>/<numeric id>-<slug>/ [guess]", "/latest/ cards carry <time datetime> (text "
            "'Бүгін, HH:MM') [guess]"},
}


def wire(settings: Settings, server: ReplayServer) -> Settings:
    """Settings that send every source host to `server`."""
    hosts = {host: server.base_url for source in SOURCES.values() for host in source.hosts}
    return dataclasses.replace(settings, host_overrides=MappingProxyType(hosts), download_delay=0.0)


@pytest.fixture
def replayed(settings: Settings) -> Iterator[Settings]:
    with ReplayServer(DEFAULT_ROOT) as server:
        yield wire(settings, server)


@pytest.mark.parametrize("source", [s for s in SOURCES.values() if s.enabled], ids=lambda s: s.name)
def test_probe_passes_on_the_replay(replayed: Settings, source: Source) -> None:
    report = probe_source(replayed, source, DAY, articles=3)
    assert report.problems == [], report.problems
    assert len(report.pages) == 3
    assert all(m.articles > 0 and m.documents > 0 for m in report.methods)
    for result in report.fields:
        if result.name in ("title", "body", "published_at"):
            assert set(result.chosen) <= {"jsonld", "meta", "selectors"}
    verdicts = {fact.text: fact.verdict for fact in report.facts}
    assert REFUTED not in verdicts.values(), report.facts
    for text in REPLAY_FACTS.get(source.name, ()):
        assert verdicts[text] == CONFIRMED
    # The probe is archived like any crawl.
    keys = set(s3.iter_keys(s3.client(replayed), replayed.s3_bucket, f"raw/source={source.name}/date={DAY}/"))
    assert report.warc_key in keys and report.warc_key.endswith(".warc.gz")


def test_probe_command_prints_the_table(replayed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from etl.cli.probe import cmd_probe

    status = cmd_probe(argparse.Namespace(source="kazinform_qz", articles=2, date=DAY), replayed)
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Feed /rss/qz.xml" in out and "DatedListing /lenta/" in out
    assert "[confirmed] RSS path /rss/qz.xml [guess]" in out
    assert "problems: none" in out and out.rstrip().endswith("1 sources probed, all fine")


def test_probe_refuses_zero_articles(replayed: Settings) -> None:
    import argparse

    from etl.cli.probe import cmd_probe
    from etl.core.errors import UserError

    with pytest.raises(UserError, match="--articles must be at least 1"):
        cmd_probe(argparse.Namespace(source="kazinform", articles=0, date=DAY), replayed)


def test_capture_round_trips(replayed: Settings, tmp_path: Path) -> None:
    """Pages captured from the probe's archived WARC pass the golden checks; a stale expectation shows a diff."""
    from etl.read.capture import capture_warc
    from etl.read.golden import golden_pages, render

    source = SOURCES["kazinform"]
    report = probe_source(replayed, source, DAY, articles=3)
    root = tmp_path / "golden"
    captured = capture_warc(replayed, source, report.warc_key, root)
    pages = golden_pages(root)
    assert len(pages) == 3 and all(c.path in pages and not c.diff for c in captured)
    for html_path in pages:
        golden = render(html_path)  # what tests/test_golden.py checks
        assert golden.json_text == golden.json_path.read_text(encoding="utf-8")
        assert golden.corpus_text is not None
        assert golden.corpus_text.encode("utf-8") == golden.corpus_path.read_bytes()
        meta = json.loads(html_path.with_name(html_path.name.replace(".html.gz", ".meta.json")).read_text())
        assert meta["source"] == "kazinform" and meta["markup"].startswith("kazinform-")
    assert subprocess.run([sys.executable, str(REPO / "scripts" / "regenerate_golden.py"), "--check",
                           "--root", str(root)], cwd=REPO, capture_output=True, timeout=120).returncode == 0
    stale = golden_pages(root)[0].with_name(golden_pages(root)[0].name.replace(".html.gz", ".json"))
    stale.write_text(stale.read_text(encoding="utf-8").replace('"title": "', '"title": "OLD '), encoding="utf-8")
    again = capture_warc(replayed, source, report.warc_key, root)
    changed = [c for c in again if c.diff]
    assert len(changed) == 1 and '-  "title": "OLD ' in changed[0].diff


def test_capture_of_a_missing_warc_is_one_line(replayed: Settings, tmp_path: Path) -> None:
    from etl.core.errors import PipelineError
    from etl.read.capture import capture_warc

    with pytest.raises(PipelineError, match="cannot read s3://.*nosuch.warc.gz"):
        capture_warc(replayed, SOURCES["kazinform"], "raw/source=kazinform/nosuch.warc.gz", tmp_path)
