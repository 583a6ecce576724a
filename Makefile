# Two commands do all the set-up: `make serve` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := build
SOURCES := $(shell find ontology ingest queries data vlkg -type f -not -path '*/__pycache__/*' 2>/dev/null)

.PHONY: setup serve build test lint clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(STAMP) ui-assets

# Front-end packages for the query UI come from npm (package-lock.json) and are served from our own files.
.PHONY: ui-assets
ui-assets:
	@if [ -f package.json ]; then $(MAKE) --no-print-directory server/static/vendor/.stamp; fi

server/static/vendor/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m vlkg.server.vendor
	touch $@

$(OUT)/current/manifest.json: $(STAMP) $(SOURCES)
	$(BIN)/vlkg build --out $(OUT)

build: $(OUT)/current/manifest.json

serve: setup build
	$(BIN)/vlkg serve --store $(OUT)

test: setup
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: setup build
	$(BIN)/python bench/bench.py --store $(OUT)

clean:
	rm -rf $(OUT) $(VENV) node_modules server/static/vendor
