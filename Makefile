# Two commands do all the set-up: `make serve` and `make test` (see README.md).
# Neither needs Node.js: the query UI's front-end files are committed in server/static/vendor/ (`make vendor`
# refreshes them from npm, for maintainers).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SERVE_STAMP := $(VENV)/.installed-serve
TEST_STAMP  := $(VENV)/.installed-test
OUT    := build
SOURCES := $(shell find ontology ingest queries data vlkg -type f -not -path '*/__pycache__/*' 2>/dev/null)

.PHONY: setup setup-test serve build test lint clean bench vendor

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Editable installs, so that `vlkg build`, `vlkg serve` and the tests always run the working tree's code.
# setuptools prints an informational notice ("Editable installation. Please be careful with folders in your
# working directory with the same name as your package ...") for every editable install of a layout that maps
# packages onto other folders (vlkg.server <- server/, ...), whatever the mode: `lenient` (the default) that
# one, `strict` another ("... performed using the auxiliary directory"), `compat` a deprecation warning
# (setuptools/command/editable_wheel.py). It says nothing about this project (the only such folder is vlkg/,
# the package itself), so it alone is filtered, by its message; any other warning still shows.
# A non-editable `pip install .` prints none and needs no filter.
EDITABLE_NOTICE := PYTHONWARNINGS='ignore:Editable installation'

# What serving needs: the package and its main dependencies.
$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	$(EDITABLE_NOTICE) $(BIN)/pip install -q -e .
	touch $@

# What the tests need on top: the [test] extra.
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(EDITABLE_NOTICE) $(BIN)/pip install -q -e '.[test]'
	touch $@ $(SERVE_STAMP)

setup: $(SERVE_STAMP)

setup-test: $(TEST_STAMP)

# Maintainers: refresh the committed UI files from npm (package.json pins, package-lock.json locks), then commit
# server/static/vendor/. Needs Node.js and npm; nothing else in this file does.
vendor: $(SERVE_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m vlkg.server.vendor

$(OUT)/current/manifest.json: pyproject.toml $(SOURCES) | $(SERVE_STAMP)
	$(BIN)/vlkg build --out $(OUT)

build: $(OUT)/current/manifest.json

serve: setup build
	$(BIN)/vlkg serve --store $(OUT)

# One pytest-xdist worker per core; each test file runs whole on one worker (its module fixtures, such as a
# server, are started once). The two full builds start in the background first (tests/build_fixture.py).
test: setup-test
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

bench: setup-test build
	$(BIN)/python bench/bench.py --store $(OUT)

clean:
	rm -rf $(OUT) $(VENV) node_modules
