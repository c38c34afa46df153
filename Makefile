# Two commands: `make run` starts the app on the bundled data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	$(BIN)/streamlit run app.py --server.port $(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest

# Browser benchmarks (figures and targets printed, JSON in test-artifacts/); timings never fail the run.
bench: $(VENV)/.dev
	bash scripts/ensure-chromium.sh
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/load_test.py

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
