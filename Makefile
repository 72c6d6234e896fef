# OpenJXC: `make demo` serves the demo company at http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/openjxc_test
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup setup-test browser assets demo serve test test-sqlite test-postgres lint mypy audit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

setup: $(BIN)/python assets
	$(BIN)/pip install -q -e .
	$(BIN)/python -m openjxc.core.i18n compile

setup-test: setup browser
	$(BIN)/pip install -q -e '.[test]'

# Browser tests drive Debian's Chromium (never a downloaded build); CJK fonts so Chinese renders.
browser:
	@if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	else echo "Browser tests need Debian's chromium and fonts-wqy-microhei: sudo apt-get install chromium fonts-wqy-microhei"; fi

assets:
	npm ci --no-audit --no-fund --loglevel=error

demo: setup
	$(BIN)/jxc demo
	$(BIN)/jxc serve

serve: setup
	$(BIN)/jxc serve

lint: setup-test
	$(BIN)/ruff check src tests bench

mypy: setup-test
	$(BIN)/mypy

# known vulnerabilities in the Python packages and the npm packages served (.ci/audit.py says what it could check)
audit: setup-test
	python3 .ci/audit.py $(BIN)

# one engine at a time, on both cores (pytest-xdist); `make test` runs everything as CI does
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider -n 2

test-sqlite: setup-test
	$(PYTEST)

test-postgres: setup-test
	DATABASE_URL=$(PG_TEST_URL) JXC_REQUIRE_POSTGRES=1 $(PYTEST) -m "not (e2e or own_sqlite) or engine"

# set-up, lint, mypy, audits, then the SQLite and PostgreSQL suites side by side, with the time of each stage
test:
	PG_TEST_URL=$(PG_TEST_URL) bash .ci/run

bench: setup-test
	$(BIN)/python bench/posting.py

clean:
	rm -rf $(VENV) node_modules var
