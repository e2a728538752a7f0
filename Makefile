# Two entry points, both from a fresh clone:
#   make demo  - install into .venv and sample the pretrained dcgan-mnist to samples.png (no data, no network)
#   make test  - install with dev tools and the example plugin, then lint, test and build the docs
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export GANZOO_DATA ?= $(abspath ../shared/data)

.PHONY: demo test install install-dev lint docs bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]" -e plugins/ganzoo-pacgan

demo: install
	$(BIN)/ganzoo sample dcgan-mnist -n 64 --seed 0 --out samples.png

lint:
	$(BIN)/ruff check ganzoo plugins tests benchmarks tools
	$(BIN)/ruff format --check ganzoo plugins tests benchmarks tools
	$(BIN)/lint-imports

# Material for MkDocs is maintained until its end of life (2027-05-05) and prints a banner that
# points at Zensical; NO_MKDOCS_2_WARNING turns it off. Why the docs stay on MkDocs for now, and
# when to revisit: docs/contributing.md, "The docs theme".
docs:
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

test: install-dev
	$(MAKE) lint
	GANZOO_STRICT_PLUGINS=1 $(BIN)/ganzoo plugins
	# one worker a core (at most 8), one thread each: 661 s against 1,012 s in one process on
	# the 2-core machine (docs/contributing.md, "Parallel tests")
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -ra --durations=15 -n auto --maxprocesses 8
	$(MAKE) docs

bench: install-dev
	$(BIN)/python -m benchmarks
