package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
	"github.com/vigil-fraud/vigil/internal/history"
)

// featuresCmd runs "vigil features" in-process.
func featuresCmd(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(ctx, env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }},
		append([]string{"features"}, args...))
	return code, out.String(), errOut.String()
}

// writeHistory writes recs to dir/name in layout and returns the path.
func writeHistory(t *testing.T, dir, name string, layout history.Layout, recs []history.Record) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := history.Create(path, layout, history.Meta{"classification": "synthetic"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := f.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	return path
}

// readTable reads a feature table.
func readTable(t *testing.T, path string) (header []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return all[0], all[1:]
}

func TestFeaturesHandbookColumns(t *testing.T) {
	dir := t.TempDir()
	recs := featuretest.Generate(featuretest.Options{Seed: 4, Customers: 80, Terminals: 120, Days: 45})
	data := writeHistory(t, dir, "handbook.csv", history.LayoutHandbook, recs)
	out := filepath.Join(dir, "features.csv")
	code, stdout, stderr := featuresCmd(context.Background(), "--data", data, "--out", out, "--columns", "handbook", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var rep featuresReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last stdout line is not JSON: %v\n%s", err, stdout)
	}
	if rep.Rows != int64(len(recs)) || rep.Features != 15 || rep.Columns != "handbook" || rep.Labels == 0 {
		t.Errorf("report %+v for %d records", rep, len(recs))
	}

	header, rows := readTable(t, out)
	want := "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_FRAUD,TX_FRAUD_SCENARIO," +
		"TX_AMOUNT,TX_DURING_WEEKEND,TX_DURING_NIGHT," +
		"CUSTOMER_ID_NB_TX_1DAY_WINDOW,CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW," +
		"CUSTOMER_ID_NB_TX_7DAY_WINDOW,CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW," +
		"CUSTOMER_ID_NB_TX_30DAY_WINDOW,CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW," +
		"TERMINAL_ID_NB_TX_1DAY_WINDOW,TERMINAL_ID_RISK_1DAY_WINDOW," +
		"TERMINAL_ID_NB_TX_7DAY_WINDOW,TERMINAL_ID_RISK_7DAY_WINDOW," +
		"TERMINAL_ID_NB_TX_30DAY_WINDOW,TERMINAL_ID_RISK_30DAY_WINDOW"
	if got := strings.Join(header, ","); got != want {
		t.Fatalf("header\n%s\nwant\n%s", got, want)
	}
	if len(rows) != len(recs) {
		t.Fatalf("%d rows, want %d", len(rows), len(recs))
	}
	ref := featuretest.Reference(recs, feature.DefaultLabelDelay)
	for i, row := range rows {
		r := &recs[i]
		fraud := "0"
		if r.Fraud {
			fraud = "1"
		}
		if row[0] != r.ID || row[1] != r.Timestamp.UTC().Format("2006-01-02 15:04:05") ||
			row[2] != r.CustomerID || row[3] != r.TerminalID || row[4] != fraud ||
			row[5] != strconv.Itoa(history.HandbookScenarioCode(r.Scenario)) {
			t.Fatalf("row %d keys %v for %+v", i, row[:6], r)
		}
		for k := range feature.HandbookCount {
			v, err := strconv.ParseFloat(row[6+k], 64)
			if err != nil || !featuretest.Close(v, ref[i][k], 1e-6) {
				t.Fatalf("row %d %s = %q, want %v", i, header[6+k], row[6+k], ref[i][k])
			}
		}
	}
}

func TestFeaturesVigilColumns(t *testing.T) {
	dir := t.TempDir()
	recs := featuretest.Generate(featuretest.Options{Seed: 5, Customers: 40, Terminals: 60, Days: 20, Extras: true})
	data := writeHistory(t, dir, "history.jsonl", history.LayoutJSONL, recs)
	out := filepath.Join(dir, "features.csv")
	code, stdout, stderr := featuresCmd(context.Background(), "--data", data, "--out", out, "--label-delay", "72h")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote "+out) || !strings.Contains(stdout, "rows/s") {
		t.Errorf("summary:\n%s", stdout)
	}
	header, rows := readTable(t, out)
	want := append(append([]string{}, vigilKeys...), feature.Names()...)
	if strings.Join(header, ",") != strings.Join(want, ",") {
		t.Fatalf("header %v", header)
	}
	ref := featuretest.Reference(recs, 72*time.Hour)
	for i, row := range rows {
		if row[1] != recs[i].Timestamp.UTC().Format(time.RFC3339Nano) || row[5] != recs[i].Scenario {
			t.Fatalf("row %d keys %v", i, row[:6])
		}
		for k := range feature.NumFeatures {
			v, err := strconv.ParseFloat(row[6+k], 64) // NaN parses too
			if err != nil || !featuretest.Close(v, ref[i][k], 1e-6) {
				t.Fatalf("row %d %s = %q, want %v", i, header[6+k], row[6+k], ref[i][k])
			}
		}
	}
	if rows[0][6+int(feature.CustomerSecondsSincePrevious)] != "NaN" {
		t.Errorf("the first transaction's seconds since previous = %q, want NaN", rows[0][6+int(feature.CustomerSecondsSincePrevious)])
	}
}

// TestFeaturesBadRow: a bad row fails the run with its line and field, and no output is
// left behind (an older file of the same name stays as it was).
func TestFeaturesBadRow(t *testing.T) {
	dir := t.TempDir()
	recs := featuretest.Generate(featuretest.Options{Seed: 6, Customers: 20, Terminals: 30, Days: 10})
	data := writeHistory(t, dir, "handbook.csv", history.LayoutHandbook, recs)
	b, _ := os.ReadFile(data)
	lines := strings.Split(string(b), "\n")
	// Line 1 is the metadata, 2 the header: break the amount of the record on line 100.
	f := strings.Split(lines[99], ",")
	f[4] = "12.5x"
	lines[99] = strings.Join(f, ",")
	os.WriteFile(data, []byte(strings.Join(lines, "\n")), 0o640)
	out := filepath.Join(dir, "features.csv")
	os.WriteFile(out, []byte("old\n"), 0o640)

	code, _, stderr := featuresCmd(context.Background(), "--data", data, "--out", out)
	if code != 1 || !strings.Contains(stderr, "line 100") || !strings.Contains(stderr, "TX_AMOUNT") {
		t.Fatalf("exit %d, stderr %q: want 1 and line 100, TX_AMOUNT", code, stderr)
	}
	if got, _ := os.ReadFile(out); string(got) != "old\n" {
		t.Errorf("the output file changed: %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("files left behind: %v", entries)
	}
}

func TestFeaturesInterrupted(t *testing.T) {
	dir := t.TempDir()
	recs := featuretest.Generate(featuretest.Options{Seed: 7, Customers: 20, Terminals: 30, Days: 10})
	data := writeHistory(t, dir, "h.csv", history.LayoutCSV, recs)
	out := filepath.Join(dir, "features.csv")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, stderr := featuresCmd(ctx, "--data", data, "--out", out)
	if code != 1 || !strings.Contains(stderr, "interrupted") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output exists after an interrupted run: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left behind: %v", entries)
	}
}

func TestFeaturesUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--data", "x.csv"},
		{"--out", "y.csv"},
		{"--data", "x.csv", "--out", "y.csv", "--columns", "pandas"},
		{"--data", "x.csv", "--out", "y.csv", "--label-delay", "0s"},
		{"--data", "x.csv", "--out", "y.csv", "extra"},
	} {
		if code, _, stderr := featuresCmd(context.Background(), args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	if code, _, stderr := featuresCmd(context.Background(), "--help"); code != 0 || !strings.Contains(stderr, "Example") {
		t.Errorf("--help: exit %d, %q", code, stderr)
	}
	code, _, stderr := featuresCmd(context.Background(), "--data", filepath.Join(t.TempDir(), "missing.csv"), "--out", "y.csv")
	if code != 1 || !strings.Contains(stderr, "missing.csv") {
		t.Errorf("missing data: exit %d, %q", code, stderr)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrPermission }

// TestTableWriterFails: a write error stops the writer and reaches the caller.
func TestTableWriterFails(t *testing.T) {
	tw := newTableWriter(failWriter{}, false)
	rec := history.Record{}
	f := make([]float64, feature.NumFeatures)
	var err error
	for i := 0; i < 100*batchSize && err == nil; i++ {
		err = tw.row(&rec, f)
	}
	if cerr := tw.close(); err == nil {
		err = cerr
	}
	if err == nil {
		t.Fatal("no error from a failing writer")
	}
}

func TestFeaturesUnwritableOut(t *testing.T) {
	dir := t.TempDir()
	recs := featuretest.Generate(featuretest.Options{Seed: 8, Customers: 10, Terminals: 10, Days: 3})
	data := writeHistory(t, dir, "h.csv", history.LayoutCSV, recs)
	code, _, stderr := featuresCmd(context.Background(), "--data", data, "--out", filepath.Join(dir, "no", "such", "dir.csv"))
	if code != 1 || !strings.Contains(stderr, "no such file") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestReportClassificationFromData: the HTML report states the history's own classification,
// and says "synthetic data only" only of synthetic data.
func TestReportClassificationFromData(t *testing.T) {
	dir := t.TempDir()
	e := env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}
	h, rep := filepath.Join(dir, "h.csv"), filepath.Join(dir, "r.html")
	if run(context.Background(), e, []string{"generate", "--customers", "300", "--terminals", "600", "--days", "30", "--seed", "2", "--out", h}) != 0 {
		t.Fatal(e.stderr)
	}
	b, err := os.ReadFile(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h, bytes.Replace(b, []byte("classification=synthetic"), []byte("classification=production"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if run(context.Background(), e, []string{"evaluate", "--data", h, "--test-start", "2018-04-23", "--trees", "10", "--report", rep}) != 0 {
		t.Fatal(e.stderr)
	}
	html, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(html, []byte("Synthetic data only")) || !bytes.Contains(html, []byte("production")) {
		t.Error("a report on production data calls it synthetic, or does not say production")
	}
}
