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
CLIENTS   := $(CURDIR)/.tools/clients
CL_SRC    := sqltests/clients
TEST_ENV  := LANCEGATE_PYTHON=$(VENV_PY) LANCEGATE_AZURITE=$(AZURITE) LANCEGATE_REQUIRE_INTEROP=1 \
	LANCEGATE_CLIENTS=$(CLIENTS) LANCEGATE_REQUIRE_PGREF=1

.PHONY: test unit vet fmt-check venv azurite tools clients bench clean

## test: everything CI runs: format and vet checks, then every test with the
## race detector, with the pylance, Azurite, real-client and PostgreSQL
## reference suites required.
test: fmt-check vet venv azurite tools clients
	$(TEST_ENV) $(GO) test -race -timeout 20m ./...

## unit: Go tests without the Python interoperability suites.
unit:
	$(GO) test ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## tools: command-line clients the tests drive (psql), and the PostgreSQL 15
## server the corpus replay compares against (sqltests/pgref).
tools:
	@command -v psql >/dev/null || { echo "installing postgresql-client for psql"; $(APT_INSTALL) postgresql-client; }
	@test -x /usr/lib/postgresql/15/bin/initdb || { echo "installing postgresql-15 for the corpus replay's reference server (sqltests/pgref)"; \
		$(APT_INSTALL) postgresql-15; }

# APT_INSTALL installs Debian packages (with sudo when not root), refreshing
# the package lists once if they are stale.
APT_INSTALL = sh -c 'S=; [ "$$(id -u)" = 0 ] || S=sudo; \
	$$S apt-get install -y -q "$$@" >/dev/null 2>&1 || { $$S apt-get update -q >/dev/null && $$S apt-get install -y -q "$$@" >/dev/null; }' apt-install

## azurite: the Azure Storage emulator, pinned by $(AZ_SRC)/package-lock.json.
azurite: $(AZURITE)

$(AZURITE): $(AZ_SRC)/package.json $(AZ_SRC)/package-lock.json
	mkdir -p $(AZ_DIR)
	cp $(AZ_SRC)/package.json $(AZ_SRC)/package-lock.json $(AZ_DIR)/
	cd $(AZ_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## clients: the real-client suites' drivers (sqltests/clientsuite_test.go),
## pinned, into $(CLIENTS): Python venvs py (psycopg2, psycopg 3,
## SQLAlchemy 2, pgvector) and py14 (SQLAlchemy 1.4), node_modules from
## package-lock.json (pg, pgvector, TypeORM, Sequelize), and the Java
## program compiled against pgjdbc and pgvector-java (Maven cache in ~/.m2).
clients: $(CLIENTS)/py/.installed $(CLIENTS)/py14/.installed $(CLIENTS)/node/.installed $(CLIENTS)/java/.installed

$(CLIENTS)/py/.installed: $(CL_SRC)/python/requirements.txt
	$(PYTHON) -m venv --clear $(CLIENTS)/py
	$(CLIENTS)/py/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

$(CLIENTS)/py14/.installed: $(CL_SRC)/python/requirements-sqlalchemy14.txt
	$(PYTHON) -m venv --clear $(CLIENTS)/py14
	$(CLIENTS)/py14/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

$(CLIENTS)/node/.installed: $(CL_SRC)/node/package.json $(CL_SRC)/node/package-lock.json
	mkdir -p $(CLIENTS)/node
	cp $^ $(CLIENTS)/node/
	cd $(CLIENTS)/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Offline first (a warm ~/.m2 needs no network), online on a cache miss.
$(CLIENTS)/java/.installed: $(CL_SRC)/java/pom.xml $(wildcard $(CL_SRC)/java/src/main/java/lancegate/clients/*.java)
	@command -v mvn >/dev/null || { echo "installing Java 17 and Maven"; \
		(sudo -n true 2>/dev/null && SUDO=sudo || SUDO=; $$SUDO apt-get install -y -q openjdk-17-jdk-headless maven >/dev/null) ; }
	mkdir -p $(CLIENTS)/java
	cd $(CL_SRC)/java && { mvn -q -B -o $(MVN_ARGS) >/dev/null 2>&1 || mvn -q -B $(MVN_ARGS); }
	touch $@

MVN_ARGS = compile dependency:build-classpath -Dclients.build=$(CLIENTS)/java/target \
	-Dmdep.outputFile=$(CLIENTS)/java/classpath.txt

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
