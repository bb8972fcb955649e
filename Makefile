# The one door to the project. `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEMO_AS_OF ?= 2026-11-26

.DEFAULT_GOAL := help
.PHONY: help install browser demo report validate-conformant test lint format bench docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## Create .venv and install aimsgraph with its pinned dependencies

browser: ## Install headless Chromium and ChromeDriver for the browser tests (Debian, as root), if missing
	.ci/install-browser

demo: report ## Validate the example, print its gap report, load it into the store and serve it (Ctrl-C stops)
	$(BIN)/aimsgraph load examples/kestrel
	$(BIN)/aimsgraph serve

report: $(STAMP) ## Validate the example organisation (Kestrel Financial), print its findings and gap report, write the report to aimsgraph-report/
	$(BIN)/aimsgraph validate examples/kestrel --as-of $(DEMO_AS_OF) --fail-on never
	$(BIN)/aimsgraph gaps examples/kestrel --as-of $(DEMO_AS_OF)
	$(BIN)/aimsgraph report examples/kestrel --as-of $(DEMO_AS_OF) --out aimsgraph-report

validate-conformant: $(STAMP) ## Validate the remediated example, which conforms
	$(BIN)/aimsgraph validate examples/kestrel-remediated --as-of $(DEMO_AS_OF)

lint: $(STAMP) ## ruff (lint and format check) and mypy --strict on src
	$(BIN)/ruff check src tests bench docs
	$(BIN)/ruff format --check src tests bench docs
	$(BIN)/mypy --strict src

format: $(STAMP) ## Format and autofix with ruff
	$(BIN)/ruff format src tests bench docs
	$(BIN)/ruff check --fix src tests bench docs

test: lint browser ## Lint, then run the test suite
	$(BIN)/pytest -q

bench: $(STAMP) ## Time validation, the service's start, gaps, queries and the report; the scale table at 1k, 10k and 100k AI systems
	$(BIN)/python bench/validate_example.py
	$(BIN)/python bench/serve_start.py
	$(BIN)/python bench/queries.py --systems 1000
	$(BIN)/python bench/report.py --systems 1000
	$(BIN)/python bench/scale.py --systems 1000 10000 100000

docs: $(STAMP) ## Regenerate docs/queries.md from the query headers
	$(BIN)/python docs/make_docs.py

clean: ## Remove the virtual environment, the demo store, the demo report and caches
	rm -rf $(VENV) .aimsgraph .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist aimsgraph-report
