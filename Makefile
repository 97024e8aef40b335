# doudi — every target sets up what it needs itself.
SHELL := /bin/bash
PYTHON ?= python3.11
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
PROTO_FILES := $(shell find protos -name '*.proto' 2>/dev/null)
MEMBER_PYPROJECTS := $(wildcard libs/*/pyproject.toml services/*/pyproject.toml deploy/*/pyproject.toml)
STAMP := libs/contracts/src/doudi/PROTOS_DIGEST
# pytest's workers: one per CPU, at most four; the tests of one xdist_group (a platform on fixed ports)
# share a worker. Much of the suite waits on processes, brokers and stores, so two workers on two CPUs
# take about half the time of one. TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto
PYTEST_WORKERS := -n $(TEST_WORKERS) $(if $(filter auto,$(TEST_WORKERS)),--maxprocesses 4) --dist loadgroup

.PHONY: setup proto proto-check promtool run test test-fast test-fault bench lint clean help

help:
	@echo "make run    start the whole platform on loopback (Ctrl-C stops it); PROMETHEUS=1 adds Prometheus"
	@echo "make test   set everything up and run every test"
	@echo "make test-fault  only the fault schedules (FAULT_SCHEDULES=N, FAULT_SEED=S)"
	@echo "make bench  run the benchmarks and print their numbers"
	@echo "make lint   ruff and the import contracts"
	@echo "make proto  regenerate Python code from protos/"
	@echo "make clean  remove everything the targets built"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock $(MEMBER_PYPROJECTS)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced

$(STAMP): $(VENV)/.synced $(PROTO_FILES) libs/contracts/build_protos.py
	$(PY) libs/contracts/build_protos.py

proto: $(STAMP)

# promtool and prometheus (Debian's package) for the rule tests and `make run PROMETHEUS=1`;
# installed without starting the packaged daemon.
promtool:
	@command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 \
		|| deploy/prometheus/install-prometheus.sh

proto-check: proto
	$(PY) -m pytest -q libs/contracts/tests

run: proto $(if $(PROMETHEUS),promtool)
	$(PY) -m doudi_platform run $(if $(PROMETHEUS),--prometheus)

test: proto promtool
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest $(PYTEST_WORKERS) libs services deploy charts tests

test-fast: proto promtool
	$(PY) -m pytest $(PYTEST_WORKERS) -m "not platform" libs services deploy charts

# Payroll fault schedules against real processes (also part of `make test`, which runs tests/).
test-fault: proto
	$(PY) -m pytest -m fault tests/fault

bench: proto
	$(PY) tests/bench/run.py

lint: proto
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) $(TOOLS) .run libs/contracts/src/doudi .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
