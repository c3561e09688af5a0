# The verbs of the billing platform. `make run` and `make test` are the two a newcomer needs.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := -e shared -e gateway -e services/customers -e services/orders -e services/payments -e services/invoicing \
	-e test-psp -e devtools

.PHONY: run test lint bench demo venv chaos fuzz up down deploy-tools translations

$(BIN)/.installed: requirements-dev.txt shared/pyproject.toml gateway/pyproject.toml services/*/pyproject.toml \
		test-psp/pyproject.toml devtools/pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(PACKAGES) -r requirements-dev.txt
	@touch $@

venv: $(BIN)/.installed

run: venv
	$(BIN)/python -m billing_devtools.localstack

# The seed's whole flow through the gateway of a running `make run` (GATEWAY_URL elsewhere).
demo: venv
	$(BIN)/python scripts/demo.py

test: venv
	$(BIN)/python -m pytest

# ruff, mypy, and the import rules of docs/services.md (.importlinter).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy shared/src/billing_shared gateway/src/gateway services/customers/src/customers \
		services/orders/src/orders services/payments/src/payments services/invoicing/src/invoicing \
		test-psp/src/test_psp devtools/src/billing_devtools

# Extract the labels and messages of invoicing's documents and mail again (pybabel) and merge them
# into the German and French catalogues; a test fails while one is untranslated.
translations: venv
	cd services/invoicing && ../../$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output \
		--omit-header -o src/invoicing/adapters/translations/messages.pot . && \
	../../$(BIN)/pybabel update -i src/invoicing/adapters/translations/messages.pot \
		-d src/invoicing/adapters/translations --width 100 --ignore-obsolete

bench: venv
	$(BIN)/python bench/gateway_ratio.py
	$(BIN)/python bench/outbox_latency.py
	$(BIN)/python bench/pricing_bench.py
	$(BIN)/python bench/api_throughput.py
	$(BIN)/python bench/payments_throughput.py
	$(BIN)/python bench/biller_bench.py
	$(BIN)/python bench/flow_bench.py

# The same stack in containers (needs a Docker engine with the compose plugin); see docs/operations.md.
up:
	docker compose -p billing up -d --build --wait

down:
	docker compose -p billing down

# kustomize, the Kubernetes/Compose/AsyncAPI schemas and promql-parser for the deploy tests (offline after).
deploy-tools: venv
	PYTHON=$(BIN)/python deploy/local/deploy-tools.sh install

# The long schemathesis run over the gateway's OpenAPI on a platform of its own (all operations,
# phases and checks; FUZZ_EXAMPLES per operation, FUZZ_MAX_TIME seconds); reports in var/fuzz/.
fuzz: venv
	$(BIN)/python tests/security/fuzz.py

# The long fault run (1,000+ flows, Kafka down 60 s, every kind of process SIGKILLed): writes
# bench/results/chaos.json and chaos.png; docs/reliability.md explains it. `make test` runs the
# reduced suite (tests/faults/).
chaos: venv
	$(BIN)/python bench/chaos.py
