package main

// These tests drive the real vigil binary from a shell, the way operators and scripts use
// it: exit codes, stdout/stderr, files left (or not) behind.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// vigilBin is the binary built once for the shell tests.
var vigilBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vigilBin = filepath.Join(dir, "vigil")
	build := exec.Command("go", "build", "-o", vigilBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building vigil: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// shellResult is what a shell command did.
type shellResult struct {
	stdout, stderr string
	code           int
}

// sh runs script with bash in dir, with vigil on the PATH.
func sh(t *testing.T, dir, script string) shellResult {
	t.Helper()
	cmd := exec.Command("bash", "-c", "set -o pipefail\n"+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(vigilBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running bash: %v", err)
	}
	return shellResult{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestShellHelpAndUnknownCommand(t *testing.T) {
	dir := t.TempDir()
	r := sh(t, dir, "vigil help")
	if r.code != 0 || !strings.Contains(r.stderr, "generate") {
		t.Fatalf("vigil help: code %d, stderr %q", r.code, r.stderr)
	}
	r = sh(t, dir, "vigil frobnicate")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: code %d, stderr %q", r.code, r.stderr)
	}
	r = sh(t, dir, "vigil generate --help")
	if r.code != 0 || !strings.Contains(r.stderr, "Example:") {
		t.Fatalf("generate --help: code %d, stderr %q", r.code, r.stderr)
	}
}

func TestShellGenerate(t *testing.T) {
	dir := t.TempDir()
	gen := "vigil generate --customers 200 --terminals 400 --days 20 --seed 7 --json"
	r := sh(t, dir, gen+" --out a.csv && "+gen+" --out b.csv && sha256sum a.csv b.csv && head -1 a.csv")
	if r.code != 0 {
		t.Fatalf("generate: code %d\nstderr: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var sums []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) == 2 && len(f[0]) == 64 {
			sums = append(sums, f[0])
		}
	}
	if len(sums) != 2 || sums[0] != sums[1] {
		t.Fatalf("same seed must write the same bytes: %v", sums)
	}
	if !strings.HasPrefix(lastLine(r.stdout), "# classification=synthetic") {
		t.Fatalf("first line of the file = %q", lastLine(r.stdout))
	}

	r = sh(t, dir, gen+" --out c.jsonl")
	var summary struct {
		Rows      int     `json:"rows"`
		Frauds    int     `json:"frauds"`
		FraudRate float64 `json:"fraud_rate"`
	}
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &summary); err != nil || r.code != 0 {
		t.Fatalf("--json last line %q: %v (code %d, stderr %s)", lastLine(r.stdout), err, r.code, r.stderr)
	}
	r2 := sh(t, dir, "grep -vc _meta c.jsonl")
	if got := strings.TrimSpace(r2.stdout); got != fmt.Sprint(summary.Rows) {
		t.Fatalf("file has %s records, summary says %d", got, summary.Rows)
	}
}

func TestShellGenerateBadFlagsWriteNothing(t *testing.T) {
	dir := t.TempDir()
	for _, args := range []string{
		"--out x.csv --customers 0",
		"--out x.csv --start 2018-13-01",
		"--out x.parquet",
		"--customers 10",
	} {
		r := sh(t, dir, "vigil generate "+args)
		if r.code != 2 || !strings.Contains(r.stderr, "vigil generate:") && !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("generate %s: code %d, stderr %q; want exit 2 with a message", args, r.code, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("bad flags left files behind: %v", entries)
	}
}
