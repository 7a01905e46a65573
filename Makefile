# The two commands: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := graphiql/node_modules/.installed

.PHONY: install assets run test lint bench bench-tools audit schema clean

install: $(INSTALLED) assets

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Shopgraph needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

# GraphiQL's scripts come from the npm registry so the explorer works offline.
# Without npm the page loads them from a CDN instead (the server says so on start).
assets:
	@if [ -f $(ASSETS) ] && [ $(ASSETS) -nt graphiql/package-lock.json ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
		npm ci --prefix graphiql --no-audit --no-fund --ignore-scripts --loglevel=error && touch $(ASSETS); \
	else \
		echo "npm not found: GraphiQL will load its scripts from a CDN (install Node.js/npm to serve them locally)"; \
	fi

# The reference implementation's GraphQL over HTTP audits (npm graphql-http), run against a
# real server by tests/test_graphql_over_http.py. Without npm `make install` still works,
# and that test fails saying what is missing.
HTTP_AUDIT := tests/http_audit/node_modules/.installed
.PHONY: http-audit clean-http-audit
install: http-audit
http-audit:
	@if [ -f $(HTTP_AUDIT) ] && [ $(HTTP_AUDIT) -nt tests/http_audit/package-lock.json ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/http_audit --no-audit --no-fund --ignore-scripts --loglevel=error && touch $(HTTP_AUDIT); \
	else \
		echo "npm not found: tests/test_graphql_over_http.py will fail (install Node.js/npm to run the GraphQL over HTTP audit)"; \
	fi
clean: clean-http-audit
clean-http-audit:
	rm -rf tests/http_audit/node_modules

# The storefront (storefront/, served at /) is built from its sources and schema.graphql:
# `npm ci` when the lock file changed, `npm run build` when a source is newer than the
# build. A build that fails (an operation the schema no longer allows) stops make.
STOREFRONT_MODULES := storefront/node_modules/.installed
STOREFRONT_BUILT := storefront/dist/index.html
STOREFRONT_SOURCES := $(shell find storefront/src storefront/public -type f -not -path '*/gql/*' 2>/dev/null) \
	storefront/index.html storefront/package.json storefront/package-lock.json \
	storefront/vite.config.ts storefront/codegen.ts storefront/tsconfig.json schema.graphql
.PHONY: storefront
install: storefront
ifeq ($(shell command -v npm 2>/dev/null),)
storefront:
	@echo "npm not found: the storefront at / needs Node.js and npm (the API and GraphiQL work without it)"
else
storefront: $(STOREFRONT_BUILT)
endif

$(STOREFRONT_MODULES): storefront/package-lock.json
	npm ci --prefix storefront --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

$(STOREFRONT_BUILT): $(STOREFRONT_MODULES) $(STOREFRONT_SOURCES)
	cd storefront && npm run --silent build

# The browser tests (tests/storefront) drive Debian's Chromium with playwright-core (from
# storefront's devDependencies): no browser is downloaded. Where it cannot be installed
# they skip, saying why.
.PHONY: chromium
test: chromium
chromium:
	@[ -x /usr/bin/chromium ] || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		export DEBIAN_FRONTEND=noninteractive; \
		$$SUDO apt-get install -y -q chromium || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }; \
	} || echo "could not install Debian's chromium (see above): the browser tests will be skipped"

run: install
	$(BIN)/shopgraph serve

test: install
	$(BIN)/ruff check shopgraph tests bench
	$(BIN)/python -m pytest

lint: $(INSTALLED) storefront
	$(BIN)/ruff check shopgraph tests bench
	$(BIN)/ruff format --check shopgraph tests bench
	@if command -v npm >/dev/null 2>&1; then cd storefront && npm run --silent lint; fi

# The served rows drive a real `shopgraph serve` with wrk, from Debian's packages.
bench: install bench-tools
	$(BIN)/python -m bench

bench-tools:
	@command -v wrk >/dev/null 2>&1 || { \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get install -y wrk || { $$SUDO apt-get update && $$SUDO apt-get install -y wrk; }; }

# Hostile requests against a real `shopgraph serve`: what each got, and how long it took.
audit: install
	$(BIN)/python -m bench.audit

schema: $(INSTALLED)
	$(BIN)/shopgraph export-schema > schema.graphql

clean:
	rm -rf $(VENV) graphiql/node_modules .pytest_cache .ruff_cache
