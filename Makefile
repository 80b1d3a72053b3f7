# Two commands on a fresh machine: `make run` (the whole local stack) and `make test` (every test).
# Both install what they need, idempotently.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench call venv node-deps clean

$(STAMP): requirements.txt requirements-dev.txt bridge/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

AZURITE := devstack/azurite/node_modules/.installed

$(AZURITE): devstack/azurite/package.json devstack/azurite/package-lock.json
	npm ci --prefix devstack/azurite --no-audit --no-fund --loglevel=error
	touch $(AZURITE)

venv: $(STAMP)

node-deps: $(AZURITE)

run: venv node-deps
	$(PY) -m devstack.run

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint node-deps
	$(PY) -m pytest -q

bench: venv
	$(PY) -m bench

clean:
	rm -rf .data .pytest_cache .ruff_cache
