# Weir's build. `make run` serves on the embedded defaults; `make test` runs
# every test (Go packages, then the sqllogictest suites on the built binary).

GO ?= go
SLT_FILES := $(shell find sqllogictest/testdata -name '*.slt' | sort)

.PHONY: build run test test-go test-slt lint bench bench-log clean

build:
	$(GO) build -o bin/weir ./cmd/weir

run: build
	./bin/weir

test: build test-go test-slt

test-go:
	$(GO) test -count=1 ./...

test-slt: build
	./bin/weir slt $(SLT_FILES)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-clean:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin

bench-log: build
	./bin/weir bench log
