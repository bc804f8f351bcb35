# Data Compass developer entry points. Every target installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Every service with a pyproject.toml is installed (editable) as soon as it exists.
PKGS   := libs/proto libs/kit libs/connectors libs/devstack $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml)) cli
PYPROJECTS := $(addsuffix /pyproject.toml,$(PKGS))

.PHONY: setup run test test-fast lint generate check-generated proto-release docs bench k8s-validate images clean

setup: $(STAMP)

$(STAMP): requirements/runtime.txt requirements/dev.txt $(PYPROJECTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps $(addprefix -e ,$(PKGS))
	@touch $(STAMP)

## run: start the whole system on embedded PostgreSQL + NATS, load the demo, print where to go
run: setup
	$(BIN)/python -m devstack run

# Every core runs tests (pytest-xdist); a test file stays on one worker, so a stack its tests
# share starts once; files go out in testpaths order (slow e2e first). Each worker has its own
# embedded PostgreSQL and NATS (docs/testing.md).
PYTEST := $(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

## test: lint, then the whole suite (embedded PostgreSQL/NATS unless DATACOMPASS_*_URL are set)
test: setup lint check-generated
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
	rm -rf $(VENV) .datacompass .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
