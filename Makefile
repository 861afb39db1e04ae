# One task runner: the README's commands and .ci/run call these targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint typecheck unit bench bench-retrieval bench-slack bench-faults bench-reload clean

$(BIN)/.installed: requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/stpm-bot run

lint: setup
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy bot tests bench

unit: setup
	$(BIN)/pytest

test: lint typecheck unit

bench: bench-retrieval bench-slack bench-faults bench-reload

bench-retrieval: setup
	$(BIN)/python bench/retrieval.py

bench-slack: setup
	$(BIN)/python bench/slack_load.py

bench-faults: setup
	$(BIN)/python bench/faults.py

bench-reload: setup
	$(BIN)/python bench/reload_memory.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
