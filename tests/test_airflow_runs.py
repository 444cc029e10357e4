"""`newsarchive airflow run`: the backfill window in the configured time zone, and Airflow's own dry run of the
documented range giving exactly one run per local day in UTC and Asia/Almaty shells."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from etl.core.config import Settings
from etl.core.errors import UserError
from etl.steps.airflow_runs import backfill_args, day_window

NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")
ALMATY = ZoneInfo("Asia/Almaty")


def test_window_spans_whole_local_days_with_explicit_offsets() -> None:
    start, end = day_window(date(2025, 12, 31), date(2026, 1, 2), ALMATY)
    assert (start.isoformat(), end.isoformat()) == ("2025-12-31T00:00:00+05:00", "2026-01-02T23:59:59+05:00")
    # A day on which the clocks change keeps the offset of its own instant.
    _, end = day_window(date(2026, 3, 29), date(2026, 3, 29), ZoneInfo("Europe/Berlin"))
    assert end.isoformat() == "2026-03-29T23:59:59+02:00"
    with pytest.raises(UserError, match="before"):
        day_window(date(2026, 1, 2), date(2026, 1, 1), ALMATY)


def test_backfill_arguments_carry_the_offsets_and_the_reprocess_choice() -> None:
    args = backfill_args(date(2026, 1, 1), date(2026, 1, 1), ALMATY, reprocess=True, dry_run=True)
    assert args[:4] == ["backfill", "create", "--dag-id", "news_daily"]
    assert args[args.index("--from-date") + 1] == "2026-01-01T00:00:00+05:00"
    assert args[args.index("--to-date") + 1] == "2026-01-01T23:59:59+05:00"
    assert args[args.index("--reprocess-behavior") + 1] == "completed" and args[-1] == "--dry-run"
    assert "failed" in backfill_args(date(2026, 1, 1), date(2026, 1, 1), ALMATY)


def run_cli(args: list[str], env: dict[str, str], tz: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`newsarchive ARGS` in a shell whose time zone is `tz`."""
    return subprocess.run([NEWSARCHIVE, *args], env={**env, "TZ": tz}, text=True, capture_output=True,
                          timeout=timeout)


@pytest.mark.airflow
@pytest.mark.integration
def test_documented_range_gives_one_run_per_day_in_any_shell_time_zone(settings: Settings, tmp_path: Path) -> None:
    """The README's command, as Airflow's own dry run: exactly the runs of 2025-12-31, 2026-01-01, 2026-01-02."""
    from etl.dev.local import init_scheduler, local_env

    local = dataclasses.replace(settings, state_dir=tmp_path / "state")
    env = local_env(local)
    init_scheduler(local, env)
    for tz in ("UTC", "Asia/Almaty", "America/Los_Angeles"):
        result = run_cli(["airflow", "run", "--day", "2025-12-31", "--to", "2026-01-02", "--dry-run"], env, tz)
        assert result.returncode == 0, result.stderr[-2000:]
        lines = result.stdout.splitlines()
        assert [line.split()[0] for line in lines] == ["2025-12-31", "2026-01-01", "2026-01-02"], (tz, lines)
        starts = [datetime.fromisoformat(line.split()[3]) for line in lines]
        assert [s.astimezone(ALMATY).isoformat() for s in starts] == [
            "2025-12-31T03:00:00+05:00", "2026-01-01T03:00:00+05:00", "2026-01-02T03:00:00+05:00"]
    # The README's former form, a bare --to-date, misses the last day (kept here as the reason for the command).
    bare = subprocess.run([str(Path(sys.executable).parent / "airflow"), "backfill", "create", "--dag-id",
                           "news_daily", "--from-date", "2025-12-31", "--to-date", "2026-01-02", "--dry-run"],
                          env={**env, "TZ": "UTC"}, text=True, capture_output=True, timeout=120)
    assert bare.stdout.count("22:00:00+00:00 |") == 2, bare.stdout[-1500:]


def test_local_airflow_listens_on_loopback_at_the_configured_port() -> None:
    """`make airflow`: the API server on 127.0.0.1 at NEWSARCHIVE_AIRFLOW_PORT (tasks report to it there), and
    the scheduler and triggerer without their log servers, which would listen on every interface."""
    from etl.core.config import load_settings
    from etl.dev.local import local_env
    from etl.dev.local_airflow import COMPONENTS

    settings = load_settings({"DATABASE_URL": "postgresql://postgres@127.0.0.1:5/newsarchive",
                              "NEWSARCHIVE_AIRFLOW_PORT": "18080"})
    env = local_env(settings, "http://127.0.0.1:7")
    assert (env["AIRFLOW__API__HOST"], env["AIRFLOW__API__PORT"]) == ("127.0.0.1", "18080")
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:18080"  # the execution API URL derives from it
    assert env["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] == "False"  # no runs of days the replay site lacks
    for name in ("scheduler", "triggerer"):
        assert "--skip-serve-logs" in COMPONENTS[name], name
    assert list(COMPONENTS)[-1] == "scheduler" and list(COMPONENTS)[0] == "api-server"  # stopped first / last


def test_make_airflow_banner_shows_the_documented_command() -> None:
    import runpy

    repo = Path(__file__).resolve().parents[1]
    banner = runpy.run_path(str(repo / "scripts" / "airflow_standalone.py"))["banner"]
    text = banner("http://127.0.0.1:8080", "admin / x", "http://127.0.0.1:8700", "/tmp/state")
    command = "newsarchive airflow run --day 2025-12-31 --to 2026-01-02"
    assert command in text
    assert command in (repo / "README.md").read_text(encoding="utf-8")
    assert command in (repo / "docs" / "operations.md").read_text(encoding="utf-8")
