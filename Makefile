# LMB — two commands on a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
ASSETS := node_modules/.installed
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The test suite runs on PostgreSQL and Redis (the production shape): DATABASE_URL and REDIS_URL
# when set, else the local servers (tests create and drop their own test_<name> database).
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/lmb)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/15)
PYTEST_ARGS ?=
# The suite runs on both cores of the CI machine (pytest-xdist): each worker has its own test
# database (test_lmb_gw0, …) and Redis cache database (tests/settings.py).
PYTEST_WORKERS ?= 2

.PHONY: install demo test lint test-postgres test-sqlite-smoke chromium system-packages clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

$(ASSETS): package.json package-lock.json
	@command -v npm >/dev/null || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(INSTALLED) $(ASSETS)

# Debian packages the tests need: Chromium for the browser tests (Playwright drives it; it cannot
# download its own browser here), zbar and poppler to decode the barcodes of the PDFs we print,
# HarfBuzz's subsetter for WeasyPrint (without it, fontTools subsets the fonts and two renders of
# one document no longer give the same bytes).
system-packages:
	@if [ ! -x $(CHROMIUM) ] || ! command -v zbarimg >/dev/null || ! command -v pdftoppm >/dev/null \
		|| ! ldconfig -p | grep -q libharfbuzz-subset; then \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			chromium zbar-tools poppler-utils libharfbuzz-subset0 >/dev/null; \
	fi

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Back-office : http://127.0.0.1:8000"
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

test-postgres: install system-packages
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CHROMIUM=$(CHROMIUM) $(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# `make demo` runs on the embedded SQLite default: keep it working.
test-sqlite-smoke: install
	DATABASE_URL=sqlite:///$(CURDIR)/.smoke.sqlite3 REDIS_URL= $(VENV)/bin/pytest -m smoke $(PYTEST_ARGS)

test: lint test-postgres test-sqlite-smoke

clean:
	rm -rf $(VENV) node_modules staticfiles .smoke.sqlite3
