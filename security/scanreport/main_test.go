package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scan writes a manifest whose checks point at testdata reports, and runs scanreport on it.
func scan(t *testing.T, checks []string, suppressions string) (code int, stdout, report string) {
	t.Helper()
	dir := t.TempDir()
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	manifest := "meta\tmode\tfull\nmeta\tgo\tgo1.26\n"
	for _, c := range checks {
		manifest += strings.ReplaceAll(c, "TESTDATA", testdata) + "\n"
	}
	mpath := filepath.Join(dir, "manifest.tsv")
	spath := filepath.Join(dir, "suppressions.txt")
	out := filepath.Join(dir, "report.md")
	if err := os.WriteFile(mpath, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spath, []byte(suppressions), 0o600); err != nil {
		t.Fatal(err)
	}
	var so, se bytes.Buffer
	code = run([]string{"-manifest", mpath, "-suppressions", spath, "-target", "/src/fixture", "-out", out}, &so, &se,
		time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	md, _ := os.ReadFile(out)
	if se.Len() > 0 {
		t.Logf("stderr: %s", se.String())
	}
	return code, so.String(), string(md)
}

const (
	gosecRan       = "check\tgosec\tgosec\tran\tv2.30.0\tgosec-json\tTESTDATA/gosec.json\t1.5\t"
	staticcheckRan = "check\tstaticcheck\tstaticcheck\tran\tv0.8.2\tstaticcheck-json\tTESTDATA/staticcheck.json\t0.3\t"
	hadolintSkip   = "check\thadolint\thadolint\tskipped\t\t\t\t0\thadolint is not installed"
	tfsecFailed    = "check\ttfsec\ttfsec\tfailed\tv1.26.0\t\t\t0.1\tcould not build tfsec"
)

func TestRunExitStatus(t *testing.T) {
	t.Run("high findings fail", func(t *testing.T) {
		code, out, md := scan(t, []string{gosecRan, hadolintSkip}, "")
		if code != exitFindings {
			t.Fatalf("exit = %d, want %d\n%s", code, exitFindings, out)
		}
		for _, want := range []string{"G101", "G404", "G702", "main.go:19", "hadolint is not installed"} {
			if !strings.Contains(out, want) {
				t.Errorf("summary lacks %q:\n%s", want, out)
			}
		}
		for _, want := range []string{"**Result: FAIL: 3 blocking finding(s): 0 critical, 3 high**", "| gosec | ran | v2.30.0 | 0 | 3 | 1 | 0 | 0 |", "## Blocking findings", "- **hadolint** (skipped): hadolint is not installed"} {
			if !strings.Contains(md, want) {
				t.Errorf("report lacks %q:\n%s", want, md)
			}
		}
	})

	t.Run("suppressed findings pass", func(t *testing.T) {
		sups := "gosec | G101 | main.go | 2027-01-31 | ann | planted fixture key, fake and harmless\n" +
			"gosec | G404 | main.go | 2027-01-31 | ann | fixture token generator, never used\n" +
			"gosec | G702 | *.go | 2027-01-31 | ann | fixture shell injection, never built\n"
		code, out, md := scan(t, []string{gosecRan, staticcheckRan}, sups)
		if code != exitPass {
			t.Fatalf("exit = %d, want %d\n%s", code, exitPass, out)
		}
		if !strings.Contains(md, "**Result: PASS**") || !strings.Contains(md, "suppressed until 2027-01-31 (line 1)") {
			t.Errorf("report does not show a pass with suppressions:\n%s", md)
		}
	})

	t.Run("expired suppression counts again", func(t *testing.T) {
		sups := "gosec | G101 | main.go | 2026-11-23 | ann | planted fixture key, fake and harmless\n" +
			"gosec | G404 | main.go | 2027-01-31 | ann | fixture token generator, never used\n" +
			"gosec | G702 | main.go | 2027-01-31 | ann | fixture shell injection, never built\n"
		code, out, md := scan(t, []string{gosecRan}, sups)
		if code != exitFindings {
			t.Fatalf("exit = %d, want %d\n%s", code, exitFindings, out)
		}
		if !strings.Contains(out, "suppression expired on 2026-11-23") || !strings.Contains(out, "G101") {
			t.Errorf("summary does not say the suppression expired:\n%s", out)
		}
		if !strings.Contains(md, "**EXPIRED: no longer suppresses**") || !strings.Contains(md, "**suppression expired 2026-11-23 (line 1)**") {
			t.Errorf("report does not mark the expired suppression:\n%s", md)
		}
	})

	t.Run("a check that could not run fails", func(t *testing.T) {
		code, out, md := scan(t, []string{staticcheckRan, tfsecFailed}, "")
		if code != exitError {
			t.Fatalf("exit = %d, want %d\n%s", code, exitError, out)
		}
		if !strings.Contains(md, "1 check(s) could not run") || !strings.Contains(md, "**FAILED**") {
			t.Errorf("report does not show the failed check:\n%s", md)
		}
	})

	t.Run("an unreadable report fails the check", func(t *testing.T) {
		code, _, md := scan(t, []string{"check\tgosec\tgosec\tran\tv2.30.0\tgosec-json\tTESTDATA/missing.json\t1\t"}, "")
		if code != exitError || !strings.Contains(md, "report unreadable") {
			t.Fatalf("exit = %d, report:\n%s", code, md)
		}
	})

	t.Run("a malformed suppression file is an error", func(t *testing.T) {
		code, _, _ := scan(t, []string{gosecRan}, "gosec | G101 | main.go\n")
		if code != exitError {
			t.Fatalf("exit = %d, want %d", code, exitError)
		}
	})
}

func TestReadManifestRejectsMalformedLines(t *testing.T) {
	for _, in := range []string{
		"check\tgosec\tgosec\tran\n",
		"check\tgosec\tgosec\tmaybe\tv\tf\tr\t1\t\n",
		"check\tgosec\tgosec\tran\tv\tf\tr\tsoon\t\n",
		"meta\tmode\n",
		"result\tpass\n",
	} {
		if _, err := readManifest(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("readManifest(%q) err = %v, want an error naming line 1", in, err)
		}
	}
}

func TestCellEscapesMarkdown(t *testing.T) {
	if got := cell("a | b\n`c`"); got != `a \| b 'c'` {
		t.Errorf("cell = %q", got)
	}
}
