# Publisher — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.13 2>/dev/null || echo python3.13)
VENV := .venv
TOOLS := .tools
CHECKOV := .tools-checkov
PY := $(VENV)/bin/python
SAM := SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam
export SAM_CLI_TELEMETRY := 0

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt layers/publisher/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

$(TOOLS)/.installed: requirements-tools.txt
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet -r requirements-tools.txt
	@touch $@

$(CHECKOV)/.installed: requirements-checkov.txt
	@test -x $(CHECKOV)/bin/python || $(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	@touch $@

install: $(VENV)/.installed $(TOOLS)/.installed $(CHECKOV)/.installed  ## create .venv (app + tests), .tools (sam, cfn-lint) and .tools-checkov

CONSOLE := functions/console
$(CONSOLE)/node_modules/.package-lock.json: $(CONSOLE)/package.json $(CONSOLE)/package-lock.json
	cd $(CONSOLE) && npm ci --no-audit --no-fund --ignore-scripts

console: $(CONSOLE)/node_modules/.package-lock.json  ## the console's FullCalendar bundles from npm

chromium:  ## Debian's Chromium for the browser tests
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium fonts-dejavu-core)

run: $(VENV)/.installed console  ## the whole service locally on moto: API on http://127.0.0.1:3000, schedules and queues live
	$(PY) -m local start --demo

demo: $(VENV)/.installed  ## seed demo data into a running `make run` started without --demo
	$(PY) -m local demo --api http://127.0.0.1:3000

token: $(VENV)/.installed  ## a dev token: make token ACCOUNT=acct-demo ROLE=owner
	@$(PY) -m local token --account $(or $(ACCOUNT),acct-demo) --role $(or $(ROLE),owner)

lint: install  ## ruff + the layer contracts (import-linter) + sam validate --lint (cfn-lint) + checkov
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PYTHONPATH=layers/publisher $(VENV)/bin/lint-imports --no-cache
	$(SAM) validate --lint
	$(CHECKOV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download

test: lint  ## lint, then unit + integration tests on moto
	$(VENV)/bin/pytest -q

build: install  ## sam build (arm64 layer, no Docker needed)
	$(SAM) build

e2e: install console chromium  ## end-to-end suites against real peers (WordPress, Ghost, Chromium)
	$(VENV)/bin/pytest -q -m e2e tests/e2e

e2e-console: install console chromium  ## only the console in Chromium against the local runner
	$(VENV)/bin/pytest -q -m e2e tests/e2e/console

bench: install  ## cold-start import times and the other benchmarks
	$(PY) scripts/bench_imports.py --first
	$(PY) -m scripts.bench_local_api --requests 200
	$(PY) -m scripts.bench_local_growth
	$(PY) scripts/bench_publishing.py 20
	$(PY) scripts/bench_scheduling.py

bench-cost: install  ## DynamoDB billed units and $ per million publications of the typical flow, on moto
	$(PY) scripts/bench_cost.py

bench-scale: install  ## the three jobs at 100 and 1,000 sites x 50 items on moto (invocation time and calls, DynamoDB calls per item, largest unit; a sample of units), and a 500-item burst through the local runner (~35 min)
	$(PY) -m scripts.bench_scale

bench-lateness: install  ## end-to-end lateness of 50 scheduled items through the local runner (~4 min)
	$(PY) -m scripts.bench_lateness

bench-wordpress: install  ## Publisher's overhead publishing 50 posts to a real WordPress vs 50 raw REST calls
	$(PY) scripts/bench_wordpress.py --posts 50

bench-console: install console chromium  ## cold-load bytes of each console page, with and without gzip; screenshots into docs/
	$(PY) -m scripts.bench_console --screenshots docs

clean:  ## remove build output and caches (keeps the venvs)
	rm -rf .aws-sam .pytest_cache .ruff_cache test-output

.PHONY: help install console chromium run demo token lint test build e2e e2e-console bench bench-cost bench-scale bench-lateness bench-wordpress bench-console clean
