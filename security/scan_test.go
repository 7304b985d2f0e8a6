package security

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runScan runs security-scan.sh with args, its reports going to a temporary directory, and
// returns its exit status and combined output.
func runScan(t *testing.T, args ...string) (int, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real scanners (minutes on a cold build cache); skipped under -short")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	script, err := filepath.Abs("security-scan.sh")
	if err != nil {
		t.Fatal(err)
	}
	args = append(args, "--reports", t.TempDir(), "--no-install")
	cmd := exec.Command("bash", append([]string{script}, args...)...)
	cmd.Dir = t.TempDir() // the script must work from any directory
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	}
	t.Fatalf("run %s: %v\n%s", script, err, out.String())
	return 0, ""
}

// The fixture plants one weakness per scanner; the scan must fail and name each of them.
// The suppression file given to it proves that an active suppression accepts a finding and
// an expired one no longer does.
func TestSecurityScanFindsPlantedWeaknesses(t *testing.T) {
	today := time.Now().UTC()
	sups := filepath.Join(t.TempDir(), "suppressions.txt")
	content := fmt.Sprintf("gosec | G705 | main.go | %s | scanner test | the fixture's XSS is accepted to prove suppression works\n"+
		"gosec | G204 | main.go | %s | scanner test | expired on purpose, so the finding must count again\n",
		today.AddDate(0, 1, 0).Format(time.DateOnly), today.AddDate(0, 0, -1).Format(time.DateOnly))
	if err := os.WriteFile(sups, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	fixture, err := filepath.Abs(filepath.Join("testdata", "vulnerable"))
	if err != nil {
		t.Fatal(err)
	}
	code, out := runScan(t, "full", "--target", fixture, "--suppressions", sups)
	if code != 1 {
		t.Fatalf("exit status %d, want 1 (blocking findings)\n%s", code, out)
	}
	for _, want := range []struct{ what, pattern string }{
		{"hardcoded key (gosec)", `HIGH +gosec +G101 +main\.go:\d+`},
		{"hardcoded key (gitleaks)", `CRITICAL +gitleaks +aws-access-token +main\.go:\d+`},
		{"math/rand token", `HIGH +gosec +G404 +main\.go:\d+`},
		{"shell injection", `HIGH +gosec +G702 +main\.go:\d+`},
		{"vulnerable dependency called", `HIGH +govulncheck +GO-2021-0113 +golang\.org/x/text`},
		{"GPL dependency", `HIGH +go-licenses +GPL-3\.0 +example\.com/copyleft`},
		{"public ingress", `CRITICAL +tfsec +aws-vpc-no-public-ingress-sgr +insecure\.tf:\d+`},
		{"root container", `HIGH +dockerfile-policy +DF001 +Dockerfile:\d+`},
		{"token baked into an image", `HIGH +dockerfile-policy +DF003 +Dockerfile:\d+`},
		{"expired suppression", `suppression expired on ` + today.AddDate(0, 0, -1).Format(time.DateOnly)},
		{"skipped history scan", `gitleaks \(git history\) +skipped +the scanned tree is not the root`},
	} {
		if !regexp.MustCompile(want.pattern).MatchString(out) {
			t.Errorf("the scan did not report the %s (/%s/)", want.what, want.pattern)
		}
	}
	// gosec: G101, G404, G702 high; G204 medium (its suppression expired); G705 suppressed.
	if !regexp.MustCompile(`(?m)^gosec\s+ran\s+\S+\s+0\s+3\s+1\s+0\s+1$`).MatchString(out) {
		t.Errorf("gosec counts are not 0 critical, 3 high, 1 medium, 0 low, 1 suppressed")
	}
	if strings.Contains(out, "AKIA") {
		t.Errorf("the scan output echoes the planted key")
	}
	if t.Failed() {
		t.Logf("scan output:\n%s", out)
	}
}

// The project's own secrets scan must pass: the fixture key above is allowlisted by path in
// gitleaks.toml, in the working tree and in the git history alike.
func TestSecurityScanProjectHasNoSecrets(t *testing.T) {
	code, out := runScan(t, "secrets")
	if code != 0 {
		t.Fatalf("exit status %d, want 0\n%s", code, out)
	}
	if !strings.Contains(out, "gitleaks (working tree)      ran") {
		t.Errorf("the working tree was not scanned:\n%s", out)
	}
}

func TestSecurityScanRejectsUnknownArguments(t *testing.T) {
	code, out := runScan(t, "everything")
	if code != 2 || !strings.Contains(out, "unknown argument: everything") {
		t.Fatalf("exit status %d, want 2 and the bad argument named\n%s", code, out)
	}
}
