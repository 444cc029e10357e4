"""Settings: defaults, parsing and one-line errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.core.config import load_settings, parse_host_overrides
from etl.core.errors import SettingsError


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
