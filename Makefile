# Two commands: `make run` starts the app on the bundled data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
# The oldest Python the code is written for (pyproject's ruff target-version py311).
PYTHON_MIN := 3.11

.PHONY: run test lint bench clean check-python

# Fails with a clear message, before anything is installed, when the Python in use is too old.
check-python:
	@$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) -c 'import sys; need = tuple(int(p) for p in "$(PYTHON_MIN)".split(".")); sys.exit(0 if sys.version_info[:2] >= need else f"Python $(PYTHON_MIN) or newer is needed; {sys.executable} is {sys.version.split()[0]}. Run with PYTHON=python3.11 (or newer), after make clean if .venv exists.")'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: check-python $(VENV)/.runtime
	$(BIN)/streamlit run app.py --server.port $(PORT)

lint: check-python $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest

# Browser benchmarks (figures and targets printed, JSON in test-artifacts/); timings never fail the run.
bench: $(VENV)/.dev
	bash scripts/ensure-chromium.sh
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/element_costs.py
	$(BIN)/python bench/gc_pauses.py
	$(BIN)/python bench/load_test.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
