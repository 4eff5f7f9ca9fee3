# leadscore: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo
DEMO_ROWS ?= 20000
DEMO_PORT ?= 8000
DEMO_TRACKING = sqlite:///$(abspath $(DEMO_DIR))/mlflow.db
LEADSCORE := $(CURDIR)/$(BIN)/leadscore

.DEFAULT_GOAL := help
.PHONY: help install demo test lint typecheck unit integration format clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install: $(BIN)/.installed ## Create the virtual environment and install pinned dependencies

demo: install ## Generate leads, train and register the champion, score a file, then serve the API (Ctrl-C stops)
	@mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && export MLFLOW_TRACKING_URI=$(DEMO_TRACKING) && \
	  $(LEADSCORE) generate --rows $(DEMO_ROWS) --seed 0 --out data && \
	  $(LEADSCORE) train --data data/leads.csv --schema data/schema.yaml && \
	  $(LEADSCORE) score --model models:/lead-scoring@champion --data data/leads.csv --out scored.csv
	@$(BIN)/python -c "import json, pandas as pd; lead = pd.read_csv('$(DEMO_DIR)/data/leads.csv', dtype=str, nrows=1).iloc[0].dropna().drop(['converted', 'lead_status']); json.dump(lead.to_dict(), open('$(DEMO_DIR)/lead.json', 'w'), indent=1)"
	@echo
	@echo "Champion:   models:/lead-scoring@champion  (MLFLOW_TRACKING_URI=$(DEMO_TRACKING))"
	@echo "Scores:     $(DEMO_DIR)/scored.csv"
	@echo "MLflow UI:  $(BIN)/mlflow ui --backend-store-uri $(DEMO_TRACKING)  then open http://127.0.0.1:5000"
	@echo "API docs:   http://127.0.0.1:$(DEMO_PORT)/docs"
	@echo "Score one:  curl -s http://127.0.0.1:$(DEMO_PORT)/v1/score -H 'content-type: application/json' -d @$(DEMO_DIR)/lead.json"
	@echo "Starting the API on http://127.0.0.1:$(DEMO_PORT) (Ctrl-C stops it) ..."
	cd $(DEMO_DIR) && MLFLOW_TRACKING_URI=$(DEMO_TRACKING) exec $(LEADSCORE) serve --port $(DEMO_PORT)

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install ## mypy on the packages
	$(BIN)/mypy

test: install lint typecheck ## Lint, type-check and run the whole test suite
	$(BIN)/pytest -q

unit: install ## Fast unit tests only
	$(BIN)/pytest -q tests/unit

format: install ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove the virtual environment, demo output and caches
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
