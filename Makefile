# serverlite — two commands do everything: `make up` and `make test`.
# Both create .venv with a Python >= 3.11 and install what they need.

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
TEMPLATE ?= template.yaml
ARGS ?=

.PHONY: up test test-fast lint bench venv clean browser

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "serverlite needs Python 3.11 or newer on PATH"; exit 1; }
	@echo "creating $(VENV) with $(PYTHON) and installing serverlite and its tools..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

## up: start the whole reference system (AWS endpoint on 127.0.0.1:4566)
up: venv
	$(BIN)/serverlite up --template $(TEMPLATE) $(ARGS)

## browser: Debian's chromium for the console's browser tests (installed only when missing;
## apt-get needs root, as CI's fresh machine runs .ci/run)
browser:
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }

## test: the whole test suite (unit + integration)
test: venv
	$(BIN)/python -m pytest $(ARGS)

## test-fast: unit tests only
test-fast: venv
	$(BIN)/python -m pytest tests/unit $(ARGS)

## lint: ruff, mypy (strict on src/), and serverlite validate on every template we ship
lint: venv
	$(BIN)/ruff check src tests bench services examples
	$(BIN)/ruff format --check src tests bench services examples
	$(BIN)/mypy
	$(BIN)/serverlite validate $(foreach t,$(shell git ls-files '*template.yaml' | grep -v '^tests/'),-t $(t))

## bench: benchmarks side by side with peers, printed as ratios
bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(ARGS)

# The peers (Chalice, FastAPI, ...) are installed once, again only when pyproject.toml changes.
$(BENCH_STAMP): $(STAMP) bench/peers/ministack-requirements.txt
	@echo "installing the benchmarks' peers..."
	@$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@# MiniStack pins an older botocore than serverlite: a virtualenv of its own.
	@$(BIN)/python -m venv $(VENV)/peers/ministack
	@$(VENV)/peers/ministack/bin/python -m pip install --quiet -r bench/peers/ministack-requirements.txt
	@touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) .serverlite .pytest_cache .mypy_cache .ruff_cache
