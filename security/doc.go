// Package security holds vigil's security toolchain: security-scan.sh (run it; see
// docs/SECURITY.md), its configuration (gitleaks.toml, suppressions.txt), the report
// consolidator in scanreport/, and the end-to-end tests of the scan in scan_test.go.
//
// The package has no Go API. Its tests run the real scanners, so they are skipped under
// go test -short; they need the go command and bash, and reuse the Go build cache, where the
// pinned scanners stay built after their first use.
package security
