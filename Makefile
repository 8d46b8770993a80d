# Two entry points, as the README says: `make serve` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve test lint bench help

help: ## List the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/kbportal: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

serve: $(BIN)/kbportal ## Install, build the index if there is none, and serve on http://127.0.0.1:8000
	$(BIN)/kbportal serve

test: $(BIN)/kbportal ## Install and run the whole test suite
	$(BIN)/pytest

lint: $(BIN)/kbportal ## ruff and mypy
	$(BIN)/ruff check kbportal tests benchmarks
	$(BIN)/ruff format --check kbportal tests benchmarks
	$(BIN)/mypy

bench: $(BIN)/kbportal ## Run the benchmarks and the search-quality evaluation
	$(BIN)/python benchmarks/run_all.py
