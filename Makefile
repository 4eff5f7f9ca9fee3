# leadscore: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo
DEMO_ROWS ?= 20000
DEMO_PORT ?= 8000
DEMO_TRACKING = sqlite:///$(abspath $(DEMO_DIR))/mlflow.db
DEMO_DATABASE = sqlite:///$(abspath $(DEMO_DIR))/leadscore.db
DEMO_STORED ?= 2000
DEMO_KEYS = $(abspath $(DEMO_DIR))/keys.json
LEADSCORE := $(CURDIR)/$(BIN)/leadscore

.DEFAULT_GOAL := help
.PHONY: help install dev java browser postgres bench-tools demo test lint typecheck unit format clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

# Two stamps: the runtime (what the demo runs) and the dev extra on top of it (what the tests, ruff and mypy need),
# so `make demo` installs no test tools and `make test` after it adds only those.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[spark]"
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[spark,dev]"
	touch $@

SUDO = $(if $(filter 0,$(shell id -u)),,sudo )

browser: ## Install Debian's chromium for the e2e tests (tests/e2e) when missing; no browser is downloaded otherwise
	@command -v chromium >/dev/null || { $(SUDO)apt-get update -qq && $(SUDO)env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

java: ## Install Debian's Java 17 runtime when no java runs: PySpark (--engine spark, the spark extra) starts its JVM with it
	@java -version >/dev/null 2>&1 || { echo "java: none found; installing Debian's openjdk-17-jre-headless (leadscore score --engine spark needs Java 17+)"; $(SUDO)apt-get update -qq && $(SUDO)env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless; }

postgres: ## Install Debian's PostgreSQL server when initdb is missing; the tests start their own throwaway server with it
	@command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { $(SUDO)apt-get update -qq && $(SUDO)env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

bench-tools: $(BIN)/.installed-dev ## Install the bench extra (FLAML, for bench/quality.py) and Debian's wrk, which bench/serve.py prefers
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[bench]"
	@command -v wrk >/dev/null || { $(SUDO)apt-get update -qq && $(SUDO)env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }

install: $(BIN)/.installed java ## Create the virtual environment with the package, its pinned runtime dependencies and the spark extra, and check Java (what make demo runs)

dev: $(BIN)/.installed-dev java browser postgres ## install, plus the dev extra (pytest, ruff, mypy, ...), Debian's chromium and PostgreSQL server (what make test needs)

demo: install ## Generate leads, train the champion, score a file, fill the lead store, then serve the API (Ctrl-C stops)
	@mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && export MLFLOW_TRACKING_URI=$(DEMO_TRACKING) && \
	  $(LEADSCORE) generate --rows $(DEMO_ROWS) --seed 0 --out data && \
	  $(LEADSCORE) train --data data/leads.csv --schema data/schema.yaml --if-changed && \
	  $(LEADSCORE) score --model models:/lead-scoring@champion --data data/leads.csv --out scored.csv
	@$(BIN)/python -c "import json, pandas as pd; lead = pd.read_csv('$(DEMO_DIR)/data/leads.csv', dtype=str, nrows=1).iloc[0].dropna().drop(['converted', 'lead_status']); json.dump(lead.to_dict(), open('$(DEMO_DIR)/lead.json', 'w'), indent=1)"
	@$(BIN)/python -c "from leadscore.synthetic_outcomes import write_demo_sales; write_demo_sales('$(DEMO_DIR)/data/leads.csv', '$(DEMO_DIR)/data', newest=$(DEMO_STORED), seed=0)"
	cd $(DEMO_DIR) && export MLFLOW_TRACKING_URI=$(DEMO_TRACKING) LEADSCORE_DATABASE_URL=$(DEMO_DATABASE) && \
	  $(LEADSCORE) ingest --data data/recent_leads.csv --arrived-at created_at --outcomes data/outcomes.csv && \
	  $(LEADSCORE) ingest --data data/resent_leads.csv --arrived-at created_at
	cd $(DEMO_DIR) && MLFLOW_TRACKING_URI=$(DEMO_TRACKING) \
	  $(LEADSCORE) report --model models:/lead-scoring@champion --out model_report.html
	@if [ -s $(DEMO_DIR)/admin.key ] && [ -s $(DEMO_KEYS) ]; then echo "Reusing the demo admin key in $(DEMO_DIR)/admin.key"; \
	  else umask 077 && $(LEADSCORE) keys create --role admin --label demo --keys-file $(DEMO_KEYS) > $(DEMO_DIR)/admin.key; fi
	@echo
	@echo "Champion:   models:/lead-scoring@champion  (MLFLOW_TRACKING_URI=$(DEMO_TRACKING))"
	@echo "Report:     $(DEMO_DIR)/model_report.html  (also logged with the run in MLflow)"
	@echo "API key:    $$(cat $(DEMO_DIR)/admin.key)  (role admin, made for this demo and kept for the next run; also in $(DEMO_DIR)/admin.key)"
	@echo "Scores:     $(DEMO_DIR)/scored.csv"
	@echo "MLflow UI:  $(BIN)/mlflow ui --backend-store-uri $(DEMO_TRACKING)  then open http://127.0.0.1:5000"
	@echo "API docs:   http://127.0.0.1:$(DEMO_PORT)/docs"
	@echo "Score one:  curl -s http://127.0.0.1:$(DEMO_PORT)/v1/score -H 'Authorization: Bearer $$(cat $(DEMO_DIR)/admin.key)' -H 'content-type: application/json' -d @$(DEMO_DIR)/lead.json"
	@echo "Lead store: $(DEMO_DATABASE)  (the newest $(DEMO_STORED) leads, some worked by sales)"
	@echo "Queue page: http://127.0.0.1:$(DEMO_PORT)/queue  (it asks for the API key)"
	@echo "Monitor:    http://127.0.0.1:$(DEMO_PORT)/monitor  (drift and live accuracy; or: cd $(DEMO_DIR) && LEADSCORE_DATABASE_URL=$(DEMO_DATABASE) MLFLOW_TRACKING_URI=$(DEMO_TRACKING) $(LEADSCORE) monitor)"
	@echo "Dashboard:  http://127.0.0.1:$(DEMO_PORT)/dashboard  (lead quality per source, service level, funnel; it asks for the API key)"
	@echo "Sources:    curl -s http://127.0.0.1:$(DEMO_PORT)/v1/reports/sources -H 'Authorization: Bearer $$(cat $(DEMO_DIR)/admin.key)'"
	@echo "Retrain:    cd $(DEMO_DIR) && MLFLOW_TRACKING_URI=$(DEMO_TRACKING) LEADSCORE_DATABASE_URL=$(DEMO_DATABASE) $(LEADSCORE) retrain --schema data/schema.yaml"
	@echo "Starting the API on http://127.0.0.1:$(DEMO_PORT) (Ctrl-C stops it) ..."
	cd $(DEMO_DIR) && MLFLOW_TRACKING_URI=$(DEMO_TRACKING) LEADSCORE_DATABASE_URL=$(DEMO_DATABASE) LEADSCORE_KEYS_FILE=$(DEMO_KEYS) exec $(LEADSCORE) serve --port $(DEMO_PORT)

lint: $(BIN)/.installed-dev ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed-dev ## mypy on the packages
	$(BIN)/mypy

test: dev lint typecheck ## Install what the tests need (make dev), lint, type-check, run every test (two workers) and list the slowest 15
	$(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=15

unit: $(BIN)/.installed-dev ## Fast unit tests only
	$(BIN)/pytest -q tests/unit

format: $(BIN)/.installed-dev ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove the virtual environment, demo output and caches
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
