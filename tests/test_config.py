"""Settings: defaults, parsing, one-line errors that name the variable, and read in one place only."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

import etl.core.config
from etl.core.config import Settings, load_settings, parse_host_overrides, read_env_file
from etl.core.errors import SettingsError

ROOT = Path(__file__).resolve().parents[1]


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings({"NEWSARCHIVE_STATE_DIR": str(tmp_path)})
    assert settings.database_url is None
    assert settings.s3_bucket == "newsarchive"
    assert str(settings.timezone) == "Asia/Almaty"
    assert settings.state_dir == tmp_path
    assert dict(settings.host_overrides) == {}


def test_host_overrides_parse() -> None:
    assert parse_host_overrides("kaz.inform.kz=http://127.0.0.1:8700, egemen.kz=http://127.0.0.1:8701/") == {
        "kaz.inform.kz": "http://127.0.0.1:8700",
        "egemen.kz": "http://127.0.0.1:8701",
    }


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"S3_ENDPOINT_URL": "127.0.0.1:8333"}, "S3_ENDPOINT_URL"),
        ({"S3_BUCKET": "Bad_Bucket"}, "S3_BUCKET"),
        ({"NEWSARCHIVE_TIMEZONE": "Mars/Olympus"}, "NEWSARCHIVE_TIMEZONE"),
        ({"NEWSARCHIVE_HOST_OVERRIDES": "kaz.inform.kz"}, "NEWSARCHIVE_HOST_OVERRIDES"),
        ({"NEWSARCHIVE_HOST_OVERRIDES": "kaz.inform.kz=ftp://x"}, "NEWSARCHIVE_HOST_OVERRIDES"),
        ({"NEWSARCHIVE_PG_PORT": "five"}, "NEWSARCHIVE_PG_PORT"),
        ({"NEWSARCHIVE_S3_PORT": "99"}, "NEWSARCHIVE_S3_PORT"),
        ({"NEWSARCHIVE_DOWNLOAD_DELAY": "-1"}, "NEWSARCHIVE_DOWNLOAD_DELAY"),
        ({"NEWSARCHIVE_DOWNLOAD_DELAY": "fast"}, "NEWSARCHIVE_DOWNLOAD_DELAY"),
        ({"NEWSARCHIVE_AUTOTHROTTLE": "maybe"}, "NEWSARCHIVE_AUTOTHROTTLE"),
        ({"NEWSARCHIVE_USER_AGENT": "bot/1\r\nX-Injected: 1"}, "NEWSARCHIVE_USER_AGENT"),
        ({"NEWSARCHIVE_USER_AGENT": "бот/1"}, "NEWSARCHIVE_USER_AGENT"),
        ({"NEWSARCHIVE_RETRY_AFTER_MAX": "-5"}, "NEWSARCHIVE_RETRY_AFTER_MAX"),
        ({"NEWSARCHIVE_BACKOFF": "five"}, "NEWSARCHIVE_BACKOFF"),
        ({"NEWSARCHIVE_BLOCK_BACKOFF": "-1"}, "NEWSARCHIVE_BLOCK_BACKOFF"),
        ({"NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED": "-1"}, "NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED"),
        ({"NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED": "1.5"}, "NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED"),
        ({"NEWSARCHIVE_CRAWL_TIMEOUT": "5"}, "NEWSARCHIVE_CRAWL_TIMEOUT"),
        ({"NEWSARCHIVE_CRAWL_POOL_SLOTS": "0"}, "NEWSARCHIVE_CRAWL_POOL_SLOTS"),
        ({"NEWSARCHIVE_TASK_RETRIES": "many"}, "NEWSARCHIVE_TASK_RETRIES"),
        ({"NEWSARCHIVE_TASK_RETRIES": "99"}, "NEWSARCHIVE_TASK_RETRIES"),
        ({"NEWSARCHIVE_SOURCE_MODULES": "my-sources"}, "NEWSARCHIVE_SOURCE_MODULES"),
        ({"NEWSARCHIVE_ENV_FILE": "/nonexistent/.env"}, "NEWSARCHIVE_ENV_FILE"),
    ],
)
def test_bad_setting_names_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    message = str(info.value)
    assert name in message
    assert "\n" not in message


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nexport S3_BUCKET='from-file'\nAWS_ACCESS_KEY_ID=\"abc\"\nNEWSARCHIVE_TIMEZONE=UTC\n",
        encoding="utf-8",
    )
    settings = load_settings({"NEWSARCHIVE_TIMEZONE": "Asia/Almaty"}, env_file=env_file)
    assert settings.s3_bucket == "from-file"
    assert settings.aws_access_key_id == "abc"
    assert str(settings.timezone) == "Asia/Almaty"


def test_env_file_syntax_error_names_line(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("GOOD=1\nthis is not a setting\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\.env:2"):
        load_settings({}, env_file=env_file)


def test_require_database_url_names_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings({"NEWSARCHIVE_STATE_DIR": str(tmp_path)}).require_database_url()


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings({"NEWSARCHIVE_STATE_DIR": str(tmp_path)})
    with pytest.raises(AttributeError):
        settings.s3_bucket = "other"  # type: ignore[misc]


def test_env_example_is_a_valid_settings_file() -> None:
    example = Path(__file__).resolve().parents[1] / ".env.example"
    settings = load_settings({}, env_file=example)
    assert settings.database_url is None and settings.s3_endpoint_url is None  # embedded services by default
    assert str(settings.timezone) == "Asia/Almaty"


def test_crawl_and_airflow_knobs_parse(tmp_path: Path) -> None:
    settings = load_settings({
        "NEWSARCHIVE_DOWNLOAD_DELAY": "0",
        "NEWSARCHIVE_AUTOTHROTTLE": "off",
        "NEWSARCHIVE_RETRY_AFTER_MAX": "30",
        "NEWSARCHIVE_BACKOFF": "0.5",
        "NEWSARCHIVE_BLOCK_BACKOFF": "0",
        "NEWSARCHIVE_MAX_CONSECUTIVE_BLOCKED": "0",
        "NEWSARCHIVE_CRAWL_POOL": "crawls",
        "NEWSARCHIVE_CRAWL_POOL_SLOTS": "4",
        "NEWSARCHIVE_TASK_RETRIES": "0",
        "NEWSARCHIVE_SOURCE_MODULES": "my_sources, other.sources",
    })
    assert (settings.download_delay, settings.autothrottle) == (0.0, False)
    assert (settings.retry_after_max, settings.backoff, settings.block_backoff) == (30.0, 0.5, 0.0)
    assert settings.max_consecutive_blocked == 0
    assert (settings.crawl_pool, settings.crawl_pool_slots, settings.task_retries) == ("crawls", 4, 0)
    assert settings.source_modules == ("my_sources", "other.sources")
    defaults = load_settings({})
    assert defaults.download_delay is None and defaults.autothrottle is None  # each source's own politeness


def setting_variables() -> set[str]:
    """The variables load_settings reads, as its module docstring lists them (checked below against the code)."""
    doc = etl.core.config.__doc__ or ""
    return set(re.findall(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", doc.split("This is the only")[0]))


def test_docstring_lists_exactly_the_variables_read() -> None:
    source = Path(etl.core.config.__file__).read_text(encoding="utf-8")
    read = set(re.findall(r'"((?:NEWSARCHIVE|S3|AWS|DATABASE)_[A-Z0-9_]+)"', source))
    assert read == setting_variables()


def test_every_setting_has_its_own_variable() -> None:
    """Setting one variable changes exactly its field: every field is reachable from the environment."""
    base = load_settings({})
    samples = {"DATABASE_URL": "postgresql://u@h/db", "S3_ENDPOINT_URL": "http://127.0.0.1:1", "S3_BUCKET": "other",
               "NEWSARCHIVE_TIMEZONE": "UTC", "NEWSARCHIVE_HOST_OVERRIDES": "a.kz=http://127.0.0.1:1",
               "NEWSARCHIVE_AUTOTHROTTLE": "1", "NEWSARCHIVE_SOURCE_MODULES": "m", "NEWSARCHIVE_CRAWL_POOL": "p",
               "NEWSARCHIVE_STATE_DIR": "/tmp/other-state", "NEWSARCHIVE_USER_AGENT": "ua",
               "NEWSARCHIVE_PG_PORT": "2000", "NEWSARCHIVE_S3_PORT": "2000", "NEWSARCHIVE_REPLAY_PORT": "2000",
               "NEWSARCHIVE_AIRFLOW_PORT": "2000", "NEWSARCHIVE_REDIS_PORT": "2000", "NEWSARCHIVE_SOURCES": "kazinform",
               "NEWSARCHIVE_MAX_PAGE_BYTES": "1000000"}
    reached = set()
    for name in setting_variables() - {"NEWSARCHIVE_ENV_FILE"}:
        changed = load_settings({name: samples.get(name, "11")})
        fields = [f.name for f in dataclasses.fields(Settings) if getattr(changed, f.name) != getattr(base, f.name)]
        assert len(fields) == 1, (name, fields)
        reached.update(fields)
    assert reached == {f.name for f in dataclasses.fields(Settings)}


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert setting_variables() <= mentioned
    assert set(read_env_file(ROOT / ".env.example")) <= setting_variables()


# Where production code may touch the process environment: config.py reads it; these functions only copy it
# into the environment of a child process they start.
CHILD_ENV_BUILDERS = {
    ("scrapers/run.py", "run_crawl"),
    ("etl/dev/local.py", "local_env"),
    ("etl/dev/services/seaweed.py", "start"),
}


def environment_reads(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of every os.environ / getenv use in one file."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Attribute) and child.attr in ("environ", "environb", "getenv", "putenv"):
                found.append((function, child.lineno))
            elif isinstance(child, ast.ImportFrom) and child.module == "os" and any(
                alias.name in ("environ", "getenv", "environb") for alias in child.names
            ):
                found.append((function, child.lineno))
            visit(child, name)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


def test_only_config_reads_the_environment() -> None:
    offenders = []
    for folder in ("etl", "scrapers", "dags"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "etl/core/config.py":
                continue
            offenders += [f"{relative}:{line} ({function})" for function, line in environment_reads(path)
                          if (relative, function) not in CHILD_ENV_BUILDERS]
    assert not offenders, "read the environment through etl.core.config.load_settings: " + ", ".join(offenders)


def test_environment_scan_finds_reads(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom os import getenv\ndef f():\n    return os.environ.get('X')\n")
    assert environment_reads(sample) == [("<module>", 2), ("f", 4)]
