# Everything runs inside .venv, which this Makefile creates and keeps in step with
# pyproject.toml, so a fresh clone needs nothing but python3 (>= 3.11) and make.
PYTHON ?= python3
# Bytecode caches (__pycache__/, ignored by git) are what keep the suite's few hundred
# Python processes from compiling spprov, and pytest's rewritten tests, again each time.
unexport PYTHONDONTWRITEBYTECODE
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck unit test-slow demo schema dist bench bench-relay clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check spprov tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy spprov

unit: $(STAMP)
	$(BIN)/pytest -q -m "not slow" -n 3 --dist worksteal

test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow -n 3 --dist worksteal

demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" bash examples/demo.sh

schema: $(STAMP)
	$(BIN)/python -m spprov.declaration.schema > spprov/data/credentials.schema.json
	cp spprov/data/credentials.schema.json schemas/credentials.schema.json

# The release: sdist and wheel in dist/, checked as PyPI would (twine) and for stray or
# missing files (check-wheel-contents). Install with `pip install dist/spprov-*.whl`.
dist: $(STAMP)
	rm -rf dist build
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*
	$(BIN)/check-wheel-contents dist/*.whl

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The relay's figures (docs/benchmarks.md, "The relay"): printed, not written.
bench-relay: $(STAMP)
	$(BIN)/python bench/relay.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache dist build
