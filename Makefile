# The two quick-start commands: `make demo` and `make test`.
# Each sets up what it needs on a fresh machine (a virtual environment in .venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

# Town points for the example come from ../shared/data/adcode when it is there
# (imported into layers/gazetteer.gpkg, which is not committed).
ADCODE ?= ../shared/data/adcode/counties
GAZETTEER := layers/gazetteer.gpkg

demo: $(STAMP)
	bash .ci/system-deps.sh demo
	@if ls $(ADCODE)/611*.csv >/dev/null 2>&1 && [ ! -f $(GAZETTEER) ]; then \
	  $(BIN)/geoplan gazetteer import --format adcode --store $(GAZETTEER) $(ADCODE)/611*.csv; \
	fi
	$(BIN)/geoplan demo shangluo $$( [ -f $(GAZETTEER) ] && echo --gazetteer $(GAZETTEER) )

test: $(STAMP)
	bash .ci/system-deps.sh test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy geoplan
	$(BIN)/lint-imports
	$(BIN)/python -m numpydoc lint $$(find geoplan \( -name '*.py' ! -name '_*' \) -o -name '__init__.py')
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info
