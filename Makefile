# Neural Lens — one command to run, one to test.  Everything installs into .venv/.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint install bench clean-venv

run: $(STAMP)            ## open the window
	$(PY) main.py

test: $(STAMP)           ## lint, then the whole test suite (what CI runs)
	$(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint: $(STAMP)           ## ruff (configured in pyproject.toml)
	$(PY) -m ruff check .

bench: $(STAMP)          ## benchmarks (not run by CI); prints ratio tables
	$(PY) tests/bench/run_all.py

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements-dev.txt
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	touch $(STAMP)

clean-venv:
	rm -rf $(VENV)
