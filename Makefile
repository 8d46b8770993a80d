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

serve: $(BIN)/kbportal ## Install, build the index if there is none, and serve on http://127.0.0.1:8000 (PORT=8001 for another port)
	$(BIN)/kbportal serve $(if $(PORT),--port $(PORT))

test: $(BIN)/kbportal ## Install and run the whole test suite (PYTEST_ARGS="-x -q" to pass options)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/kbportal ## ruff (check + format), mypy, and the import rules (.importlinter: no cycles)
	$(BIN)/ruff check kbportal tests benchmarks
	$(BIN)/ruff format --check kbportal tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(BIN)/kbportal ## Run the benchmarks and the search-quality evaluation (those without their data are skipped)
	$(BIN)/python benchmarks/run_all.py
