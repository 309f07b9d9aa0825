# One-command entry points. `make run` sets up and starts entropi on the embedded default model;
# `make test` sets up everything (runtime, dev tools, CPU training stack) and runs the test suite (.ci/run).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup setup-dev run test lint bench loop

$(VENV)/.venv-created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

# Runtime only. llama-cpp-python compiles from source the first time (~8 min on 2 cores); pip caches the wheel.
$(VENV)/.installed: pyproject.toml $(VENV)/.venv-created
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Tests also need the dev tools and the CPU training stack; torch comes from the CPU wheel
# (`pip install torch==2.13.0` first, so no CUDA build is ever pulled in).
$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev,train]"
	touch $@

setup: $(VENV)/.installed

setup-dev: $(VENV)/.installed-dev

run: setup
	$(BIN)/entropi

test: setup-dev
	$(BIN)/python -m pytest -q

lint: setup-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

bench: setup-dev
	$(BIN)/python benchmarks/bench_runtime.py

# The learning loop on this machine (synthetic sessions -> data -> adapters -> A/B -> gate); see docs/training.md.
loop: setup-dev
	$(BIN)/python scripts/run_loop.py --work runs/loop
