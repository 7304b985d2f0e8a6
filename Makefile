# vigil's contributor workflow. `make test` is the one test command: the README
# names it and .ci/run calls it.
GO ?= go

.PHONY: test build bench vet fmt-check

## test: the whole suite with the race detector (external services are used when their
## VIGIL_TEST_* addresses are set; see .ci/run).
test:
	$(GO) test -race -count=1 ./...

## build: the single static binary.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/vigil ./cmd/vigil

## bench: every hot-path benchmark (figures go in docs/PERFORMANCE.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
