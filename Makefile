# make demo / make test create .venv on first use and install tlh-xl into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	@echo "First run: creating $(VENV) and installing tlh-xl and its dependencies (about a minute)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)
	@echo "Installed. Next runs start at once."

demo: $(STAMP)
	$(BIN)/tlh-xl demo
	@echo
	$(BIN)/tlh-xl demo --ledger -o tlh-xl-ledger-demo.xlsx

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/targets.py
	$(BIN)/python bench/fill.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/batch.py

lint: $(STAMP)
	$(BIN)/ruff check tlh_xl tests bench
	$(BIN)/ruff format --check tlh_xl tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
