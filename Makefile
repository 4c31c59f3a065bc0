# Thủ Đô Số — the two commands: `make demo` and `make test`.
# Everything else here is what they are made of.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 8000
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
# The interpreter itself, not a shim in front of it: uv rebuilds a venv whose interpreter
# looks different from the one asked for.
PYTHON_EXE = $(shell $(PYTHON) -c 'import sys; print(sys.executable)')
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# uv from PATH, else the one pip installs into this Python (`python -m uv`).
UV = $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
# Tests run on SQLite; set THUDO_TEST_DATABASE_URL=postgres://… to run them on PostgreSQL too.
THUDO_TEST_DATABASE_URL ?=
PYTEST_WORKERS ?= 2

.PHONY: help uv venv setup demo serve test check lint typecheck contracts migrations-check \
        test-sqlite test-postgres bench bench-population bench-gateway bench-signing bench-procedures bench-reporting bench-dti bench-opendata openapi messages translations clean

help:
	@echo "make demo   set up, build the demo city into SQLite, serve it at http://127.0.0.1:$(PORT)"
	@echo "make test   set up, run every check and the test suite (SQLite; PostgreSQL too when"
	@echo "            THUDO_TEST_DATABASE_URL is set)"
	@echo "make bench  run the benchmarks (results in bench/results/ and docs/benchmarks.md)"

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || { \
	  echo "Installing uv with pip (into your user site)…"; \
	  $(PYTHON) -m pip install --user --quiet uv 2>/dev/null \
	  || $(PYTHON) -m pip install --user --quiet --break-system-packages uv; }

# Bytecode is compiled ahead: with PYTHONDONTWRITEBYTECODE set, every process (the CLI,
# the worker, test subprocesses) would otherwise compile thousands of modules at start.
venv: uv
	$(UV) sync --frozen --compile-bytecode --python "$(PYTHON_EXE)"
	$(PY) -m compileall -q -j 0 config thudo manage.py

translations: venv
	$(MANAGE) compiletranslations

# Set-up shared by both commands: locked dependencies, database, translations, static files.
setup: venv translations
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input --verbosity 0

demo: setup
	PORT=$(PORT) $(MANAGE) demo build --port $(PORT)
	$(MAKE) --no-print-directory serve

# The web server (pages, API, the exchange gateway at /x/) and the task worker (document
# deliveries); Ctrl+C stops both.
serve:
	@echo "Serving Thủ Đô Số at http://127.0.0.1:$(PORT)/ (Ctrl+C to stop)"
	@PORT=$(PORT) THUDO_LOG_FORMAT=text $(MANAGE) db_worker --interval 1 --no-startup-delay \
	  --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	THUDO_LOG_FORMAT=text PORT=$(PORT) $(VENV)/bin/uvicorn config.asgi:application \
	  --host 127.0.0.1 --port $(PORT) --workers 2 --no-access-log --log-level warning

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy thudo config tests bench conftest.py

contracts: venv
	$(VENV)/bin/lint-imports

migrations-check: venv
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

check: lint typecheck contracts migrations-check

test-sqlite: venv translations
	DATABASE_URL=sqlite:///var/test.sqlite3 $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -q

test-postgres: venv translations
	@if [ -n "$(THUDO_TEST_DATABASE_URL)" ]; then \
	  echo "Running the suite on PostgreSQL ($(THUDO_TEST_DATABASE_URL))"; \
	  DATABASE_URL="$(THUDO_TEST_DATABASE_URL)" $(VENV)/bin/pytest -n $(PYTEST_WORKERS) -q --create-db; \
	else \
	  echo "THUDO_TEST_DATABASE_URL is not set: the suite ran on SQLite only."; \
	fi

test: setup check test-sqlite test-postgres

bench: bench-population bench-gateway bench-signing bench-procedures bench-reporting bench-dti bench-opendata

bench-population: venv
	$(PY) bench/population.py

# Needs PostgreSQL; installs nginx and wrk from Debian's packages when they are missing.
bench-gateway: venv
	$(PY) bench/gateway.py

# One core, SQLite in a temporary directory: the signing engine against raw ECDSA P-256.
bench-signing: venv
	$(PY) bench/signing.py

# Needs PostgreSQL; installs wrk from Debian's packages when it is missing.
bench-procedures: venv
	$(PY) bench/procedures.py

# Needs PostgreSQL: 12 M values loaded into a database of its own (thudo_bench_reporting).
bench-reporting: venv
	$(PY) bench/reporting.py

# Needs PostgreSQL: one round of HN-XA over 1,000 communes in a database of its own
# (thudo_bench_dti): results vs one SQL GROUP BY, score saves, council decisions.
bench-dti: venv
	$(PY) bench/dti.py

bench-opendata: venv
	$(PY) bench/opendata.py

openapi: venv
	$(PY) -m tests.openapi_snapshot --write

messages: venv
	cd thudo && ../$(PY) ../manage.py makemessages --locale en --no-obsolete --ignore "*/tests/*"

clean:
	rm -rf $(VENV) var/static
