# lancegate build and test entry points. `make test` is what CI runs.

GO        ?= go
PYTHON    ?= python3
VENV      := $(CURDIR)/.venv
VENV_PY   := $(VENV)/bin/python
REQS      := sqltests/lanceinterop/requirements.txt
STAMP     := $(VENV)/.installed
AZ_SRC    := storage/objstore/azuritetest
AZ_DIR    := $(CURDIR)/.tools/azurite
AZURITE   := $(AZ_DIR)/node_modules/.bin/azurite-blob
TEST_ENV  := LANCEGATE_PYTHON=$(VENV_PY) LANCEGATE_AZURITE=$(AZURITE) LANCEGATE_REQUIRE_INTEROP=1

.PHONY: test unit vet fmt-check venv azurite tools bench clean

## test: everything CI runs: format and vet checks, then every test with the
## race detector, with the pylance and Azurite suites required.
test: fmt-check vet venv azurite tools
	$(TEST_ENV) $(GO) test -race -timeout 20m ./...

## unit: Go tests without the Python interoperability suites.
unit:
	$(GO) test ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## tools: command-line clients the tests drive (psql).
tools:
	@command -v psql >/dev/null || { echo "installing postgresql-client for psql"; \
		(sudo -n true 2>/dev/null && SUDO=sudo || SUDO=; $$SUDO apt-get install -y -q postgresql-client >/dev/null) ; }

## azurite: the Azure Storage emulator, pinned by $(AZ_SRC)/package-lock.json.
azurite: $(AZURITE)

$(AZURITE): $(AZ_SRC)/package.json $(AZ_SRC)/package-lock.json
	mkdir -p $(AZ_DIR)
	cp $(AZ_SRC)/package.json $(AZ_SRC)/package-lock.json $(AZ_DIR)/
	cd $(AZ_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## venv: the Python virtualenv with pylance, lancedb and pyarrow.
venv: $(STAMP)

$(STAMP): $(REQS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(REQS)
	touch $@

## bench: storage benchmarks against pylance (see docs/benchmarks.md).
bench: venv
	LANCEGATE_PYTHON=$(VENV_PY) $(GO) test -run '^$$' -bench . -benchtime 3x ./sqltests/lanceinterop/

clean:
	rm -rf $(VENV) $(CURDIR)/.tools
