"""benchmarks/run.py's machinery on fake benchmark modules: the closing lines, a missing, crashing or hung module,
the rewrite of docs/benchmarks.md's generated section. No timing assertions, no real benchmark runs."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}_under_test", REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run = _load("run")
Target = run.Target

FAKE = '''
import sys
sys.path.insert(0, {repo!r})
from benchmarks.targets import Target

def targets(quick: bool) -> list[Target]:
    print("fake figures printed by the module")
    return [Target("fake_speedup", 6.25 if quick else 1.0, 5, detail="fake vs baseline",
                   figures={{"ours": "125 items/s", "baseline": "20 items/s"}}),
            Target("fake_rss_mb", 2048, 1024, unit=" MB", lower_is_better=True)]
'''


@pytest.fixture
def search(tmp_path: Path) -> Path:
    """A folder of fake benchmark modules: one good, one crashing, one that never returns, one without targets."""
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    (folder / "bench_fake.py").write_text(FAKE.format(repo=str(REPO)))
    (folder / "bench_crash.py").write_text("def targets(quick):\n    raise RuntimeError('boom')\n")
    (folder / "bench_hang.py").write_text("import threading\n\ndef targets(quick):\n    threading.Event().wait()\n")
    (folder / "bench_old.py").write_text("def main():\n    return 0\n")
    return folder


def test_target_line_format() -> None:
    assert Target("x_speedup", 6.25, 5).line() == "target x_speedup measured 6.25x goal >=5x ok"
    assert Target("rss", 2048, 1024, unit=" MB", lower_is_better=True).line() == (
        "target rss measured 2.05e+03 MB goal <=1024 MB short")


def test_run_all_collects_targets_from_a_child_process(search: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcomes = run.run_all([run.Module("bench_fake", 60, 60)], search, quick=True, total_budget=120)
    assert [o.status for o in outcomes] == ["ok"]
    assert [t.name for t in outcomes[0].targets] == ["fake_speedup", "fake_rss_mb"]
    assert outcomes[0].targets[0].figures == {"ours": "125 items/s", "baseline": "20 items/s"}
    printed = capsys.readouterr().out
    assert "fake_speedup: 6.25x (goal 5x)" in printed and "baseline: 20 items/s" in printed
    assert run.closing_lines(outcomes) == [
        "target fake_speedup measured 6.25x goal >=5x ok",
        "target fake_rss_mb measured 2.05e+03 MB goal <=1024 MB short",
    ]


def test_missing_crashed_and_hung_modules_are_one_line_each(search: Path) -> None:
    modules = [run.Module("bench_absent", 60, 60), run.Module("bench_old", 60, 60),
               run.Module("bench_crash", 60, 60), run.Module("bench_hang", 2, 2),
               run.Module("bench_nope", 60, 60, alternatives=("bench_fake",))]
    outcomes = run.run_all(modules, search, quick=True, total_budget=120)
    assert [o.status for o in outcomes] == ["missing", "missing", "crashed", "over budget", "ok"]
    assert outcomes[-1].module == "bench_fake"  # the alternative file name was used
    lines = run.closing_lines(outcomes)
    assert lines[-2:] == ["target fake_speedup measured 6.25x goal >=5x ok",
                          "target fake_rss_mb measured 2.05e+03 MB goal <=1024 MB short"]
    assert [line.split(":")[0] for line in lines[:-2]] == [
        "module bench_absent missing", "module bench_old missing", "module bench_crash crashed",
        "module bench_hang over budget"]


def test_main_exit_status_and_closing_lines_last(search: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "benchmarks.md"
    monkeypatch.setattr(run, "MODULES", (run.Module("bench_fake", 60, 60), run.Module("bench_absent", 60, 60)))
    assert run.main(["--quick", "--search", str(search), "--docs", str(docs)]) == 0
    out = capsys.readouterr().out.rstrip("\n").splitlines()
    assert out[-3:] == ["module bench_absent missing: bench_absent.py with targets() not on this branch: skipped",
                        "target fake_speedup measured 6.25x goal >=5x ok",
                        "target fake_rss_mb measured 2.05e+03 MB goal <=1024 MB short"]
    assert "fake_speedup" in docs.read_text()
    monkeypatch.setattr(run, "MODULES", (run.Module("bench_crash", 60, 60),))
    assert run.main(["--quick", "--search", str(search), "--no-docs"]) == 1
    assert run.main(["--only", "bench_unknown", "--search", str(search)]) == 2


def test_docs_section_is_replaced_and_prose_kept(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nHand-written prose before.\n\n## Pipeline\n\nMore prose.\n")
    ok = run.Outcome("bench_fake", "ok", 12.0, [Target("fake_speedup", 6.25, 5, detail="a | b",
                                                       figures={"ours": "125 items/s"})])
    missing = run.Outcome("bench_absent", "missing", message="not on this branch")
    when = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    run.rewrite_docs(docs, run.section([ok, missing], True, when, "2 CPUs (nproc), 23.5 GiB memory"))
    first = docs.read_text()
    assert first.startswith("# Benchmarks\n\nHand-written prose before.\n\n## Pipeline\n\nMore prose.\n\n")
    assert "| `fake_speedup` | 6.25x | >= 5x | ok | bench_fake | a \\| b |" in first
    assert "| (none) | | | missing | bench_absent | not on this branch |" in first
    assert "Measured 2026-12-02 12:00 UTC, quick run" in first and "2 CPUs (nproc), 23.5 GiB memory" in first
    assert "  - ours: 125 items/s" in first
    docs.write_text(first + "\n## Written after the section\n\nKept.\n")
    short = run.Outcome("bench_fake", "ok", 30.0, [Target("fake_speedup", 1.0, 5)])
    run.rewrite_docs(docs, run.section([short], False, when, "machine"))
    second = docs.read_text()
    assert second.count(run.BEGIN) == 1 and second.count(run.END) == 1
    assert "| `fake_speedup` | 1x | >= 5x | **short** |" in second and "6.25x" not in second
    assert "full run" in second and "bench_absent" not in second
    assert second.startswith("# Benchmarks\n\nHand-written prose before.\n")
    assert second.endswith("## Written after the section\n\nKept.\n")


def test_machine_facts_name_cpus_and_memory() -> None:
    facts = run.machine_facts(run.current_commit())
    assert "CPUs (nproc)" in facts and "GiB memory" in facts and "commit ?" not in facts


def test_year_generator_pages_parse_with_each_sources_own_selectors(tmp_path: Path) -> None:
    """Every generated page is an article its source's parser reads through its selectors, 50-150 KB, and
    the exact republications give the same text under another source."""
    from datetime import date

    from etl.sources import SOURCES

    yeargen = _load("yeargen")
    made = yeargen.generate(tmp_path, date(2026, 2, 2), 2, seed=5, per_day=(4, 6))
    assert sorted(made.per_source) == sorted(yeargen.SOURCES) and made.republished["exact"] >= 1
    by_host = {host: source for source in SOURCES.values() for host in source.hosts}
    texts: dict[tuple[str, ...], list[str]] = {}
    seen: dict[str, int] = {}
    for page in sorted(tmp_path.rglob("*")):
        host = page.relative_to(tmp_path).parts[0]
        relative = page.relative_to(tmp_path / host).as_posix()
        url = f"https://{host}/{relative.removesuffix('index.html')}"
        source = by_host[host]
        url = url if source.is_article_url(url) else url.rstrip("/")
        if not page.is_file() or not source.is_article_url(url):
            continue
        data = page.read_bytes()
        assert 50_000 <= len(data) <= 152_000, (url, len(data))
        article = source.extract(url, data)
        assert article.methods["body"] == "selectors" and article.methods["title"] != "generic", url
        assert article.language == source.language, url
        seen[source.name] = seen.get(source.name, 0) + 1
        texts.setdefault(tuple(article.paragraphs), []).append(source.name)
    assert seen == made.per_source
    copies = [names for names in texts.values() if len(names) > 1]
    assert len(copies) == made.republished["exact"]
    assert all(len(set(names)) == 2 for names in copies)  # carried by another source
    feeds = ["kaz.inform.kz/rss/kz.xml", "qz.inform.kz/rss/qz.xml", "www.inform.kz/rss/rus.xml",
             "en.inform.kz/rss/eng.xml", "kaz.tengrinews.kz/news.rss", "egemen.kz/rss", "kaz.nur.kz/rss/all.rss",
             "kaz.tengrinews.kz/kk-sitemap-index.xml", "egemen.kz/sitemap.xml", "www.azattyq.org/z/330/index.html",
             "kaz.inform.kz/lenta/index.html@end_date=2026-02-03&page=1&start_date=2026-02-03"]
    assert [f for f in feeds if not (tmp_path / f).is_file()] == []


def test_year_sides_in_abba_order_and_the_target_from_their_figures() -> None:
    from datetime import date

    bench_year = _load("bench_year")
    assert bench_year.order(1, True) == ["ours", "baseline"]
    assert bench_year.order(2, True) == ["ours", "baseline", "baseline", "ours"]
    assert bench_year.order(2, False) == ["ours", "ours"]
    mib = 2 ** 20
    ours = bench_year.combine("ours", [
        bench_year.Side("ours_1", 40.0, 0, 1000, 300 * mib, 30.0, 5.0, 20.0, 29 * mib, 27 * mib, 32, ""),
        bench_year.Side("ours_2", 60.0, 0, 1000, 400 * mib, 40.0, 6.0, 20.0, 31 * mib, 27 * mib, 32, ""),
    ])
    assert (ours.seconds, ours.articles, ours.peak_rss_bytes, ours.runs) == (100.0, 2000, 400 * mib, 2)
    base = bench_year.combine("baseline", [
        bench_year.Side("baseline_1", 200.0, 1, 1000, 350 * mib, 90.0, 5.0, 20.0, 30 * mib, 27 * mib, 32, "day failed"),
        bench_year.Side("baseline_2", 200.0, 0, 1000, 350 * mib, 90.0, 5.0, 20.0, 30 * mib, 27 * mib, 32, ""),
    ])
    made = bench_year.yeargen.Generated(Path("/nowhere"), [date(2026, 2, 2)], 1000, {}, {"exact": 15, "near": 15},
                                        92 * 1024 * 1000, 1000)
    result = bench_year.target(made, ours, base)
    assert result.name == "backfill_speedup" and result.measured == 4.0 and result.goal == 5 and not result.ok
    assert result.figures["ours: database per 1,000 articles"] == "30.0 MiB"
    assert result.figures["ours: loaded"] == "1000 of 1000 generated articles a run"
    # 1,000 articles over 8 source-days a run: 125 a source-day, 365,000 a year, at 20 articles/s.
    year = result.figures["ours: one year (8 sources x 365 days, 365,000 articles)"]
    assert year == "5.1 h, database 10.7 GiB, S3 9.6 GiB"
    assert result.figures["baseline: problems"] == "day failed"
    assert result.figures["CPU per article of the backfill tree, baseline / ours"].startswith("2.57x")


def test_budgets_scaled_to_the_whole_run_with_unused_time_passed_on() -> None:
    # Budgets 100 + 300 + 600 = 1,000 s in a 500 s run: scale 0.5, so the last two keep 450 s in reserve.
    assert run.allowance(100, 900, 500, 0.5) == 50
    # The first finished early (20 s used): the second may run 480 - 300 = 180 s (its share is 150).
    assert run.allowance(300, 600, 480, 0.5) == 180
    # Nothing after the last one: everything left.
    assert run.allowance(600, 0, 400, 0.5) == 400
    # Plenty left: at most twice its own budget.
    assert run.allowance(100, 0, 5000, 1.0) == 200
    # Nothing left: it does not run (reported over budget).
    assert run.allowance(300, 600, 250, 0.5) <= 0


LEAKY = '''
import os
import sys
sys.path.insert(0, {repo!r})
from etl.dev.services import manager

def targets(quick):
    context = manager.ephemeral("newsarchive-leaky-")
    settings = context.__enter__()
    with open({record!r}, "w") as out:
        out.write(str(settings.state_dir))
    os._exit(3)  # a crash that skips every clean-up
'''


def test_servers_a_crashed_module_left_are_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from etl.core.config import load_settings
    from etl.dev.services import manager
    from etl.dev.services.procs import read_pid

    folder = tmp_path / "benchmarks"
    folder.mkdir()
    record = tmp_path / "state-dir.txt"
    (folder / "bench_leaky.py").write_text(LEAKY.format(repo=str(REPO), record=str(record)))
    state = {}

    def remember_pids(tmp: Path) -> None:
        state_dir = Path(record.read_text())
        assert state_dir.is_relative_to(tmp)  # the child's temporary files went where run.py looks
        state["pids"] = [r.pid for r in (read_pid(f) for f in (state_dir / "run").glob("*.pid")) if r]
        original(tmp)

    original = run.clean_up_after
    monkeypatch.setattr(run, "clean_up_after", remember_pids)
    outcomes = run.run_all([run.Module("bench_leaky", 120, 120)], folder, quick=True, total_budget=120)
    assert [o.status for o in outcomes] == ["crashed"]
    assert len(state["pids"]) == 2
    assert not [pid for pid in state["pids"] if _running(pid)]
    assert not Path(record.read_text()).exists()
    assert [s.mode for s in manager.status(load_settings({"NEWSARCHIVE_STATE_DIR": record.read_text()}))] == [
        "stopped", "stopped"]


def _running(pid: int) -> bool:
    """Whether `pid` is a live process (a stopped server can stay a zombie until init reaps it)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
