# Weir's build. `make run` serves on the embedded defaults; `make test` runs
# every test (Go packages, then the sqllogictest suites on the built binary).

GO ?= go
SLT_FILES := $(shell find sqllogictest/testdata -name '*.slt' | sort)

.PHONY: build build-invariants run test test-go test-slt test-sqlite test-chaos lint bench bench-log bench-nexmark clean

build:
	$(GO) build -o bin/weir ./cmd/weir

run: build
	./bin/weir

SQLITE_CORPUS := $(wildcard ../shared/sqllogictest/sqlite/select*.test)

test: build test-go test-sqlite test-slt

# Tests build with the invariants tag: expensive consistency checks on.
build-invariants:
	$(GO) build -tags invariants -o bin/weir-invariants ./cmd/weir

test-go:
	$(GO) test -tags invariants -count=1 ./...

test-slt: build-invariants
	./bin/weir-invariants slt $(SLT_FILES)

# SQLite's sqllogictest corpus, read in place from ../shared.
test-sqlite: build-invariants
	@if [ -z "$(SQLITE_CORPUS)" ]; then echo "sqlite corpus not found beside the checkout (../shared/sqllogictest/sqlite)"; exit 1; fi
	./bin/weir-invariants slt $(SQLITE_CORPUS)

# The kill -9 chaos test at length (make test runs 3 cycles):
# CYCLES=... and WEIR_CHAOS_SEED=... change it.
CYCLES ?= 60
test-chaos:
	WEIR_CHAOS_CYCLES=$(CYCLES) $(GO) test -count=1 -v -timeout 30m -run '^TestChaosExactlyOnce$$' ./cmd/weir

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-clean:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin

bench-log: build
	./bin/weir bench log

# Every Nexmark query as a view over 1M events, against its hand-written
# baseline; EVENTS=... and ARGS=... (--via-log, --json, --query) change it.
EVENTS ?= 1000000
bench-nexmark: build
	./bin/weir bench nexmark --events $(EVENTS) $(ARGS)
