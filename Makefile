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

# --- Security (docs/SECURITY.md). The scanners are pinned by tools/go.mod and built on first use.

# Tests that prove a security control carry one of these words in their name (CONTRIBUTING.md).
SECURITY_TESTS ?= Security|Auth|Valid|Fuzz|Audit|Pseudonym|Secret|CardNumber|Encrypt|Signature|Refuse|Redact|RateLimit|TLS

.PHONY: security-scan-local secrets-check test-security

## security-scan-local: every scanner (security-scan.sh full); reports in security/reports/.
security-scan-local:
	security/security-scan.sh full

## secrets-check: gitleaks over the working tree and the whole git history.
secrets-check:
	security/security-scan.sh secrets

## test-security: the security-focused tests (see SECURITY_TESTS), then scanreport's own tests.
test-security:
	$(GO) test -race -count=1 -run '$(SECURITY_TESTS)' ./...
	$(GO) test -race -count=1 ./security/scanreport/
