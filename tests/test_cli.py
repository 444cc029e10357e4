"""CLI: real help texts, and user mistakes give one clear line with a non-zero exit (no traceback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "S3_ENDPOINT_URL")}
    return subprocess.run([sys.executable, "-m", "etl.cli.main", *args], capture_output=True, text=True,
                          env={**base, **(env or {})}, cwd=cwd or REPO, timeout=120)


def _error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if "error" in line.lower() or "failed" in line.lower()]


def test_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("services", "migrate", "replay-site", "ingest", "extract"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["ingest", "--source", "nosuch", "--date", "2026-01-01"], {}, "unknown source 'nosuch'"),
        (["ingest", "--source", "kazinform", "--date", "2026-13-01"], {}, "expected a date as YYYY-MM-DD"),
        (["ingest", "--source", "kazinform", "--date", "2026-01-01"], {}, "DATABASE_URL is not set"),
        (["migrate"], {"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must start with"),
        (["extract", "--source", "kazinform", "--url", "https://kaz.inform.kz/news/a-abcdef/", "/nonexistent.html"],
         {}, "no such file"),
        (["services", "status"], {"NEWSARCHIVE_S3_PORT": "abc"}, "NEWSARCHIVE_S3_PORT must be a whole number"),
        (["reextract", "--since", "2026-01-02", "--until", "2026-01-01"], {},
         "--since 2026-01-02 is after --until 2026-01-01"),
        (["coverage", "--since", "2026-01-02", "--until", "2026-01-01"], {},
         "--since 2026-01-02 is after --until 2026-01-01"),
        (["report", "--since", "2026-01-02", "--until", "2026-01-01"], {},
         "--since 2026-01-02 is after --until 2026-01-01"),
    ],
)
def test_user_mistakes_are_one_line(args: list[str], env: dict[str, str], expected: str, tmp_path: Path) -> None:
    result = run_cli(*args, env={"NEWSARCHIVE_STATE_DIR": str(tmp_path), **env}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = _error_lines(result)
    assert len(errors) == 1 and expected in errors[0], result.stderr


def test_extract_rejects_foreign_url(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html></html>")
    result = run_cli("extract", "--source", "kazinform", "--url", "https://example.com/x", str(page), cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a kazinform article URL" in result.stderr


def test_replay_site_port_taken(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = run_cli("replay-site", "--port", str(port), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert str(port) in result.stderr
