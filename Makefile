# The two commands of the README: `make run` and `make test`. Everything else is theirs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
export STOOL_DB ?= data/stool.duckdb

.PHONY: run test lint bench demo clean browser postgres

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## run: install, build the demo database if there is none, serve on http://localhost:$(PORT)
run: $(VENV)/.runtime
	$(PY) -m analytics demo --if-empty
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

## browser: Chromium from Debian's packages for the browser tests (never a download)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-liberation; }

## postgres: PostgreSQL 15 from Debian's packages for the DuckLake tests (the tests start
## their own server; the package's own cluster is not used)
postgres:
	@test -x /usr/lib/postgresql/15/bin/initdb || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql-15; }

## test: lint, layer contracts, and the whole suite including the browser and lake tests
test: $(VENV)/.dev browser postgres
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n auto --dist loadfile

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

## bench: benchmarks against bare DuckDB / pandas baselines, printed as ratios
bench: $(VENV)/.dev browser
	$(PY) -m bench

demo: $(VENV)/.runtime
	$(PY) -m analytics demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/e2e/artifacts
