# The two quick-start commands: `make demo` and `make test`.
# Each sets up what it needs on a fresh machine (a virtual environment in .venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint system-deps clean

demo: $(STAMP)
	$(BIN)/geoplan demo shangluo

test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

system-deps:
	bash .ci/system-deps.sh

clean:
	rm -rf $(VENV) build *.egg-info
