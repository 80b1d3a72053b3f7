# Two commands on a fresh machine: `make run` (the whole local stack) and `make test` (every test).
# Both install what they need, idempotently.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench call conformance venv node-deps chromium infra-tools shellcheck clean

$(STAMP): requirements.txt requirements-dev.txt bridge/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

AZURITE := devstack/azurite/node_modules/.installed

$(AZURITE): devstack/azurite/package.json devstack/azurite/package-lock.json
	npm ci --prefix devstack/azurite --no-audit --no-fund --loglevel=error
	touch $(AZURITE)

FRONTEND := frontend/node_modules/.installed

$(FRONTEND): frontend/package.json frontend/package-lock.json
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	touch $(FRONTEND)

frontend/dist/index.html: $(FRONTEND) $(shell find frontend/src frontend/public frontend/index.html -type f 2>/dev/null)
	npm run --prefix frontend build

E2E := tests/frontend/node_modules/.installed

$(E2E): tests/frontend/package.json tests/frontend/package-lock.json
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/frontend --no-audit --no-fund --loglevel=error
	touch $(E2E)

# checkov (policy checks of infra/) in its own venv: its pins conflict with requirements-dev.txt.
INFRA_VENV := .venv-infra
INFRA_STAMP := $(INFRA_VENV)/.installed

$(INFRA_STAMP): requirements-infra.txt
	test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-infra.txt
	touch $(INFRA_STAMP)

shellcheck:
	command -v shellcheck >/dev/null || (apt-get update -q && apt-get install -y -q shellcheck)

infra-tools: $(INFRA_STAMP) shellcheck

# Browser tests use Debian's Chromium (never a browser a tool downloads).
chromium:
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

venv: $(STAMP)

node-deps: $(AZURITE) $(FRONTEND) $(E2E)

run: venv $(AZURITE) $(FRONTEND) frontend/dist/index.html
	$(PY) -m devstack.run

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint node-deps chromium infra-tools
	cd frontend && npm run lint && npm test
	npm run --prefix frontend build
	$(PY) -m pytest -q --durations=15

# The contract suite (tests/contract) against the stand-ins and, for each real service whose settings are
# in the environment, against Azure too; says which real targets it skipped and why (docs/conformance.md).
conformance: venv
	CONFORMANCE=1 $(PY) -m pytest tests/contract -q -rsx

# Place a simulated phone call through the running stack, e.g. make call ARGS='--say "what is my balance"'
call: venv
	$(PY) -m devstack.call $(ARGS)

bench: venv
	$(PY) -m bench

clean:
	rm -rf .data .pytest_cache .ruff_cache
