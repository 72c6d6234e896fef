# OpenJXC: `make demo` serves the demo company at http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/openjxc_test
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup setup-test assets demo serve test test-sqlite test-postgres lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

setup: $(BIN)/python assets
	$(BIN)/pip install -q -e .
	$(BIN)/python -m openjxc.core.i18n compile

setup-test: setup
	$(BIN)/pip install -q -e '.[test]'

assets:
	npm ci --no-audit --no-fund --loglevel=error

demo: setup
	$(BIN)/jxc demo
	$(BIN)/jxc serve

serve: setup
	$(BIN)/jxc serve

lint: setup-test
	$(BIN)/ruff check src tests bench

test-sqlite: setup-test
	$(BIN)/python -m pytest -q -p no:cacheprovider

test-postgres: setup-test
	DATABASE_URL=$(PG_TEST_URL) JXC_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -q -p no:cacheprovider

test: lint test-sqlite test-postgres

bench: setup-test
	$(BIN)/python bench/posting.py

clean:
	rm -rf $(VENV) node_modules var
