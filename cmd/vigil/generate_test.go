package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-fraud/vigil/internal/history"
)

// runVigil runs the CLI in-process and returns its exit code and output.
func runVigil(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(ctx, env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errOut.String()
}

// smallGenerate is a quick run; the extras are on by default for vigil's layouts.
var smallGenerate = []string{"generate", "--customers", "200", "--terminals", "400", "--days", "12", "--seed", "3"}

func generateJSON(t *testing.T, args ...string) generateReport {
	t.Helper()
	code, stdout, stderr := runVigil(context.Background(), append(append([]string{}, smallGenerate...), append(args, "--json")...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var rep generateReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last stdout line is not JSON: %v\n%s", err, stdout)
	}
	return rep
}

// readHistory reads a file back and counts rows and frauds by scenario.
func readHistory(t *testing.T, path string) (history.Layout, history.Meta, int, map[string]int) {
	t.Helper()
	f, err := history.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, by := 0, map[string]int{}
	var rec history.Record
	for {
		err := f.Read(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows++
		if rec.Fraud {
			by[rec.Scenario]++
		}
	}
	return f.Layout(), f.Meta(), rows, by
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		file, layout string
		want         history.Layout
		scenarios    string
	}{
		{"h.csv", "", history.LayoutCSV, "all"},
		{"h.jsonl", "", history.LayoutJSONL, "all"},
		{"h.ndjson", "jsonl", history.LayoutJSONL, "all"},
		{"hb.csv", "handbook", history.LayoutHandbook, "handbook"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), tt.file)
			args := []string{"--out", out}
			if tt.layout != "" {
				args = append(args, "--layout", tt.layout)
			}
			rep := generateJSON(t, args...)
			layout, meta, rows, by := readHistory(t, out)
			if layout != tt.want || rep.Layout != tt.want.String() {
				t.Errorf("layout %v, reported %s, want %v", layout, rep.Layout, tt.want)
			}
			if rep.Scenarios != tt.scenarios || meta["scenarios"] != tt.scenarios {
				t.Errorf("scenarios %q, meta %q, want %q", rep.Scenarios, meta["scenarios"], tt.scenarios)
			}
			if meta.Classification() != "synthetic" || meta["seed"] != "3" || meta["start"] != "2018-04-01" ||
				meta["days"] != "12" || meta["customers"] != "200" || meta["terminals"] != "400" ||
				!strings.HasPrefix(meta["generator"], "vigil-synth/") {
				t.Errorf("metadata %v", meta)
			}
			if rows != rep.Rows || rows == 0 {
				t.Errorf("file has %d rows, summary says %d", rows, rep.Rows)
			}
			frauds := 0
			for name, n := range by {
				frauds += n
				if rep.ByScenario[name] != n {
					t.Errorf("%s: file has %d frauds, summary says %d", name, n, rep.ByScenario[name])
				}
			}
			if frauds != rep.Frauds || frauds == 0 {
				t.Errorf("file has %d frauds, summary says %d", frauds, rep.Frauds)
			}
			if tt.scenarios == "handbook" {
				for name := range by {
					if name != history.ScenarioHighAmount && name != history.ScenarioCompromisedTerminal && name != history.ScenarioCompromisedCustomer {
						t.Errorf("handbook layout carries scenario %s", name)
					}
				}
			}
		})
	}
}

func TestGenerateDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv"), filepath.Join(dir, "c.csv")
	generateJSON(t, "--out", a)
	generateJSON(t, "--out", b)
	generateJSON(t, "--out", c, "--seed", "4")
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	dc, _ := os.ReadFile(c)
	if !bytes.Equal(da, db) {
		t.Error("the same flags wrote different files")
	}
	if bytes.Equal(da, dc) {
		t.Error("different seeds wrote the same file")
	}
}

func TestGenerateHumanSummary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "h.csv")
	code, stdout, stderr := runVigil(context.Background(), append(smallGenerate, "--out", out, "--scenarios", "handbook,card_testing")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"wrote " + out, "rows", "frauds", "%", "high_amount", "card_testing", "elapsed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "impossible_travel") {
		t.Errorf("summary lists a scenario that was off:\n%s", stdout)
	}
	if !strings.Contains(stderr, "generate") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
}

func TestGenerateUsageErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.csv")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "--out FILE is required"},
		{[]string{"--out", filepath.Join(dir, "x.txt")}, "unknown extension"},
		{[]string{"--out", out, "--customers", "0"}, "--customers must be between 1"},
		{[]string{"--out", out, "--terminals", "-3"}, "--terminals must be between 1"},
		{[]string{"--out", out, "--days", "0"}, "--days must be between 1"},
		{[]string{"--out", out, "--radius", "0"}, "--radius must be a positive number"},
		{[]string{"--out", out, "--radius", "NaN"}, "--radius must be a positive number"},
		{[]string{"--out", out, "--start", "2018-13-01"}, "--start must be a date"},
		{[]string{"--out", out, "--scenarios", "bogus"}, `unknown scenario "bogus"`},
		{[]string{"--out", out, "--layout", "xml"}, "--layout must be csv, jsonl or handbook"},
		{[]string{"--out", filepath.Join(dir, "x.jsonl"), "--layout", "handbook"}, "--layout handbook needs a .csv file"},
		{[]string{"--out", out, "--seed", "-1"}, "invalid value"},
		{[]string{"--out", out, "--bogus"}, "flag provided but not defined"},
		{[]string{"--out", out, "extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runVigil(context.Background(), append([]string{"generate"}, tt.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr %s", code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Fatalf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			if stdout != "" {
				t.Fatalf("stdout on a usage error: %q", stdout)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("usage errors left files: %v", entries)
	}
}

func TestGenerateHelp(t *testing.T) {
	code, _, stderr := runVigil(context.Background(), "generate", "--help")
	if code != 0 || !strings.Contains(stderr, "Example:") || !strings.Contains(stderr, "vigil generate --customers 5000") {
		t.Fatalf("exit %d, help:\n%s", code, stderr)
	}
}

func TestGenerateCancelledLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "h.csv")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, stdout, stderr := runVigil(ctx, append(smallGenerate, "--out", out)...)
	if code != 1 || !strings.Contains(stderr, "interrupted") || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a cancelled run left %v", entries)
	}

	// A file already there is left as it was.
	if err := os.WriteFile(out, []byte("previous\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runVigil(ctx, append(smallGenerate, "--out", out)...); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if b, _ := os.ReadFile(out); string(b) != "previous\n" {
		t.Fatalf("a cancelled run changed the existing file: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("a cancelled run left %v", entries)
	}
}

func TestGenerateUnwritable(t *testing.T) {
	out := filepath.Join(t.TempDir(), "missing", "h.csv")
	code, _, stderr := runVigil(context.Background(), append(smallGenerate, "--out", out)...)
	if code != 1 || !strings.Contains(stderr, "vigil: generate:") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
