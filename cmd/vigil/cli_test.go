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

func TestShellDemo(t *testing.T) {
	dir := t.TempDir()
	r := sh(t, dir, "vigil demo --data-dir out --customers 300 --terminals 600 --days 40 --addr 127.0.0.1:0 --rate 3000 --serve-for 0")
	if r.code != 0 {
		t.Fatalf("demo: code %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"1/5", "2/5", "3/5", "4/5", "5/5", "AUC ROC", "out/report.html",
		"admin   (rules, lists, models, keys, audit): vgl_", "decisions:", "review cases", "/v1/decisions"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, f := range []string{"out/history.csv", "out/model.json", "out/report.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}
	r = sh(t, dir, "vigil model verify out/model.json")
	if r.code != 0 {
		t.Fatalf("the demo's model does not verify: %s", r.stderr)
	}
	// Every key the demo made and every case it resolved is in a chain that verifies.
	r = sh(t, dir, "vigil audit verify --data-dir out/serve")
	if r.code != 0 {
		t.Fatalf("the demo's audit log does not verify: %s %s", r.stdout, r.stderr)
	}
}

func TestShellTrainEvaluateAndModelFiles(t *testing.T) {
	dir := t.TempDir()
	r := sh(t, dir, `vigil generate --customers 400 --terminals 800 --days 45 --seed 2 --out h.csv >/dev/null &&
vigil train --data h.csv --train-start 2018-04-17 --out m.json --trees 30 --json`)
	if r.code != 0 {
		t.Fatalf("train: code %d\n%s", r.code, r.stderr)
	}
	var tr struct {
		ModelVersion string             `json:"model_version"`
		Metrics      map[string]float64 `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &tr); err != nil || !strings.HasPrefix(tr.ModelVersion, "gbdt-") {
		t.Fatalf("train --json: %q (%v)", lastLine(r.stdout), err)
	}
	if tr.Metrics["auc_roc"] <= 0.5 {
		t.Errorf("train recorded AUC %v", tr.Metrics["auc_roc"])
	}

	// evaluate the saved model; its figures equal what train recorded (same period).
	r = sh(t, dir, "vigil evaluate --model m.json --data h.csv --test-start 2018-05-01 --json --scores-out s.csv --report r.html")
	if r.code != 0 {
		t.Fatalf("evaluate: code %d\n%s", r.code, r.stderr)
	}
	var ev struct {
		Folds []struct {
			AUCROC float64 `json:"auc_roc"`
		} `json:"folds"`
		Mean struct {
			AUCROC           float64 `json:"auc_roc"`
			AveragePrecision float64 `json:"average_precision"`
			CardPrecision    float64 `json:"card_precision_at_100"`
		} `json:"mean"`
	}
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &ev); err != nil || len(ev.Folds) != 1 {
		t.Fatalf("evaluate --json: %q (%v)", lastLine(r.stdout), err)
	}
	if ev.Mean.AUCROC != tr.Metrics["auc_roc"] || ev.Mean.AveragePrecision != tr.Metrics["average_precision"] {
		t.Errorf("evaluate %+v disagrees with train %+v on the same period", ev.Mean, tr.Metrics)
	}
	r = sh(t, dir, "head -1 s.csv; tail -n +2 s.csv | cut -d, -f1 | sort -u; grep -c '<svg' r.html")
	if lines := strings.Fields(r.stdout); len(lines) != 3 || lines[0] != "fold,transaction_id,score" || lines[1] != "1" || lines[2] != "4" {
		t.Errorf("scores / report: %q", r.stdout)
	}

	// Two folds, trained per fold.
	r = sh(t, dir, "vigil evaluate --data h.csv --test-start 2018-04-24 --folds 2 --trees 20 --json")
	if r.code != 0 || !strings.Contains(lastLine(r.stdout), `"std"`) {
		t.Fatalf("evaluate --folds 2: code %d %s\n%s", r.code, lastLine(r.stdout), r.stderr)
	}

	// Signing: keygen, sign, verify with the key; a tampered or unsigned file is refused.
	r = sh(t, dir, `vigil model keygen --private-out sk.key > pk.txt &&
VIGIL_MODEL_SIGNING_KEY_FILE=sk.key vigil model sign --in m.json --out ms.json &&
VIGIL_MODEL_PUBKEY=$(cat pk.txt) vigil model verify ms.json`)
	if r.code != 0 || !strings.Contains(r.stdout, "signature verified") {
		t.Fatalf("sign/verify: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if st, _ := os.Stat(filepath.Join(dir, "sk.key")); st == nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode = %v, want 0600", st.Mode().Perm())
	}
	r = sh(t, dir, `VIGIL_MODEL_PUBKEY=$(cat pk.txt) vigil model verify m.json`)
	if r.code != 1 || !strings.Contains(r.stderr, "unsigned") {
		t.Errorf("unsigned model with a key configured: code %d, %q", r.code, r.stderr)
	}
	// The key from a file, as every secret may come (VIGIL_MODEL_PUBKEY_FILE).
	r = sh(t, dir, `VIGIL_MODEL_PUBKEY_FILE=pk.txt vigil model verify m.json`)
	if r.code != 1 || !strings.Contains(r.stderr, "unsigned") {
		t.Errorf("unsigned model with VIGIL_MODEL_PUBKEY_FILE: code %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = sh(t, dir, `VIGIL_MODEL_PUBKEY_FILE=pk.txt vigil model verify ms.json`)
	if r.code != 0 || !strings.Contains(r.stdout, "signature verified") {
		t.Errorf("signed model with VIGIL_MODEL_PUBKEY_FILE: code %d, %q %q", r.code, r.stdout, r.stderr)
	}
	r = sh(t, dir, `sed 's/"rows":\([0-9]\)/"rows":9\1/' ms.json > tampered.json && ! cmp -s ms.json tampered.json && vigil model verify tampered.json`)
	if r.code != 1 || !strings.Contains(r.stderr, "refused") {
		t.Errorf("tampered model: code %d, %q", r.code, r.stderr)
	}
	r = sh(t, dir, "vigil evaluate --model tampered.json --data h.csv --test-start 2018-05-01")
	if r.code != 1 || !strings.Contains(r.stderr, "refused") {
		t.Errorf("evaluate with a tampered model: code %d, %q", r.code, r.stderr)
	}
}
