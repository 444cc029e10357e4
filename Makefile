# newsarchive: `make demo` runs the main job end to end offline; `make test` runs the test suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export NEWSARCHIVE_STATE_DIR ?= $(CURDIR)/.newsarchive
DEMO_DAY ?= 2026-01-01

.PHONY: install demo test test-cluster lint typecheck check airflow cluster cluster-down services-up services-down \
	clean webarchive-tools bench bench-quick

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 2; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,embedded,deploy]"
	touch $(STAMP)

install: $(STAMP)

# pywb (replay-archive) and the wacz validator: their pins clash with Airflow's, so they get their own venv.
WEBARCHIVE := .venv-webarchive
$(WEBARCHIVE)/.installed: constraints-webarchive.txt
	test -d $(WEBARCHIVE) || $(PYTHON) -m venv $(WEBARCHIVE)
	$(WEBARCHIVE)/bin/python -m pip install --quiet -c constraints-webarchive.txt pywb wacz
	touch $@

webarchive-tools: $(WEBARCHIVE)/.installed

demo: $(STAMP)
	$(BIN)/python scripts/demo.py --day $(DEMO_DAY)

test: $(STAMP)
	@$(BIN)/python -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests (counted as a failure)"; exit 1; fi; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check etl scrapers dags || true

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

# Every benchmark side by side with its baseline; one `target NAME measured X goal Y ok|short` line each, figures
# written to docs/benchmarks.md. bench-quick: small data, under 15 minutes on 2 cores.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run.py --quick

airflow: $(STAMP)
	$(BIN)/python scripts/airflow_standalone.py

# The CeleryExecutor deployment of docker-compose.yml as local processes on 127.0.0.1 (needs Debian's redis-server:
# `sudo apt-get install -y redis-server`); `make cluster-down` stops every process of it.
cluster: $(STAMP)
	$(BIN)/newsarchive cluster up

cluster-down: $(STAMP)
	$(BIN)/newsarchive cluster down

# The cluster test alone: three replay days on two workers, one worker killed mid-backfill (several minutes).
test-cluster: $(STAMP)
	$(BIN)/python -m pytest -q -s -m cluster tests/test_cluster.py

services-up: $(STAMP)
	$(BIN)/newsarchive services up

services-down: $(STAMP)
	$(BIN)/newsarchive services down

clean: services-down
	rm -rf .newsarchive
