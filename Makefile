# Two commands on a fresh machine: `make run` (the whole local stack) and `make test` (every test).
# Both install what they need, idempotently.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench call venv clean

$(STAMP): requirements.txt requirements-dev.txt bridge/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(PY) -m devstack.run

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) -m pytest -q

bench: venv
	$(PY) -m bench

clean:
	rm -rf .data .pytest_cache .ruff_cache
