# Everyday commands. `make run` starts the tracker on http://localhost:8501 with demo data;
# `make test` is what CI runs (lint, types, tests); `.ci/run` adds PostgreSQL and Chromium.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Never let uv fetch a Python build: use the machine's.
export UV_PYTHON_DOWNLOADS := never

# `uv` when on PATH; otherwise the module that `pip install uv` leaves behind.
UV := $(shell command -v uv >/dev/null 2>&1 && echo uv || echo python3 -m uv)
PORT = $${STREAMLIT_SERVER_PORT:-8501}
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core; PYTEST_WORKERS=0 runs the suite in this process.
PYTEST_WORKERS ?= auto

.PHONY: help setup bytecode run test lint fmt bench clean

help:
	@echo "make setup   install uv if missing, then the locked dependencies (.venv) and their bytecode"
	@echo "make run     migrate, load demo data into an empty database, start the dashboard"
	@echo "make test    ruff, ruff format --check, mypy, pytest in parallel (PYTEST_WORKERS=n, PYTEST_ARGS=...)"
	@echo "make lint    ruff, ruff format --check, mypy"
	@echo "make fmt     fix what ruff can and format the code"
	@echo "make bench   run every benchmarks/*.py"
	@echo "make clean   remove caches and test artefacts (keeps the database in data/)"

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --break-system-packages uv
	@if [ -f uv.lock ]; then $(UV) sync --locked; else $(UV) sync; fi
	@$(MAKE) --no-print-directory bytecode

# Bytecode on disk, so that the `xchange` command starts as fast where Python may not write
# `.pyc` files (PYTHONDONTWRITEBYTECODE, a read-only install): the locked packages are compiled
# once per uv.lock (the stamp), the tracker's modules on every setup (only the changed ones,
# ~0.3 s). `uv sync --compile-bytecode` would recompile every package each time (~40 s here).
BYTECODE_STAMP := .venv/.bytecode-compiled

bytecode: $(BYTECODE_STAMP)
	@$(UV) run --no-sync python -m compileall -q -j 0 xchange

$(BYTECODE_STAMP): uv.lock
	@echo "compiling the locked packages' bytecode (once per uv.lock)"
	@$(UV) run --no-sync python -m compileall -q -j 0 \
		"$$($(UV) run --no-sync python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
		>/dev/null || echo "some third-party files did not compile: they run from source"
	@touch $@

run: setup
	$(UV) run xchange init
	$(UV) run xchange demo --if-empty
	@echo
	@echo "ClusterXchange tracker: http://localhost:$(PORT)"
	@echo
	exec $(UV) run streamlit run serve.py --server.port $(PORT) --server.headless true

test: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run pytest -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy

fmt: setup
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

bench: setup
	@shopt -s nullglob; files=(benchmarks/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks/*.py yet"; exit 0; fi; \
	for f in "$${files[@]}"; do echo "== $$f"; $(UV) run python "$$f"; done

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis test-artifacts out
	find . -path ./.venv -prune -o -type d -name __pycache__ -exec rm -rf {} +
