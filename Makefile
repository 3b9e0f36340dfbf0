# Two promises: `make demo` brings up the product with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-faults lint install clean-data terraform-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Runs the web server, a Celery worker and beat with an invented trust of three schools.
demo: export ENVIRONMENT = development
demo: $(STAMP)
	$(BIN)/python manage.py demo

## Runs the whole test suite against real PostgreSQL (DATABASE_URL, else the embedded server)
## and real Redis for Celery and the cache (REDIS_URL, else the local Redis on its usual port).
## ENVIRONMENT=test comes from the pytest configuration in pyproject.toml.
test: export REDIS_URL ?= redis://127.0.0.1:6379/15
test: $(STAMP)
	$(BIN)/python -m pytest

## Fault tests: private PostgreSQL, Redis, PgBouncer, SMTP and Celery workers on ports of their
## own (never the shared servers), restarted and killed under load (tests/faults/). Bounded in time.
## They kill and restart real processes, so their timing varies with the machine's load: a test
## that fails is run once more on its own (--last-failed); a real fault fails both times.
test-faults: $(STAMP)
	timeout -k 20 --signal=INT 240 $(BIN)/python -m pytest -p tests.faults.plugin -m faults tests/faults \
	  || timeout -k 20 --signal=INT 180 $(BIN)/python -m pytest -p tests.faults.plugin -m faults \
	  --last-failed --last-failed-no-failures none tests/faults

## Static checks run by CI besides the tests (makemigrations and mypy load the settings).
lint: export ENVIRONMENT ?= test
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy trustplatform tenants safeguarding billing tests
	$(BIN)/lint-imports

## checkov on terraform/, offline (no Bridgecrew/Prisma account, no download of policies), in a
## virtualenv of its own; skipped checks and their reasons: terraform/.checkov.yaml and the
## #checkov:skip comments. tests/terraform/ checks the rest of terraform/ without this venv.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

$(CHECKOV_STAMP): terraform/requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r terraform/requirements-checkov.txt
	touch $(CHECKOV_STAMP)

terraform-check: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov --directory terraform --config-file terraform/.checkov.yaml

## Forgets the embedded database and the local broker (the demo reseeds on its next run).
clean-data:
	rm -rf .data
