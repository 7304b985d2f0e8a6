// Command scanreport is the second half of security/security-scan.sh: the script runs the
// scanners and records what it ran in a manifest; scanreport reads each scanner's own report,
// turns every finding into one common shape with a severity, applies the reviewed
// suppressions in security/suppressions.txt, writes the consolidated Markdown report and
// decides the exit status.
//
// It owns the severity mapping and the suppression rules; it runs no scanner itself.
// It uses only the standard library, so it builds in seconds and adds nothing to the
// project's module graph.
//
// Usage:
//
//	scanreport -manifest RUN/manifest.tsv -suppressions security/suppressions.txt \
//	    -target /path/to/tree -out security/reports/security_report_20260101_120000.md
//
// Exit status: 0 when no unsuppressed high or critical finding remains and every required
// check ran; 1 when a high or critical finding remains; 2 when a check failed to run (and
// nothing blocking was found), or on a usage error or a malformed manifest or suppression file.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Exit statuses.
const (
	exitPass     = 0
	exitFindings = 1
	exitError    = 2
)

// parsers maps a manifest format name to the function that reads that report.
// rel turns a path in the report into one relative to the scanned tree.
var parsers = map[string]func(data []byte, rel func(string) string) ([]Finding, error){
	"gosec-json":       parseGosec,
	"staticcheck-json": parseStaticcheck,
	"govulncheck-json": parseGovulncheck,
	"go-licenses-text": parseLicences,
	"gitleaks-json":    parseGitleaks,
	"tfsec-json":       parseTfsec,
	"shellcheck-json1": parseShellcheck,
	"hadolint-json":    parseHadolint,
	"trivy-json":       parseTrivy,
	"semgrep-json":     parseSemgrep,
	"terraform-fmt":    parseTerraformFmt,
	"terraform-json":   parseTerraformValidate,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, time.Now()))
}

func run(args []string, stdout, stderr io.Writer, now time.Time) int {
	fs := flag.NewFlagSet("scanreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	manifestPath := fs.String("manifest", "", "the manifest written by security-scan.sh (required)")
	supPath := fs.String("suppressions", "", "the suppression file (optional)")
	target := fs.String("target", "", "the scanned tree; report paths are made relative to it")
	out := fs.String("out", "", "where to write the Markdown report (required)")
	today := fs.String("today", "", "the date suppressions are judged on, YYYY-MM-DD (default: today, UTC)")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *manifestPath == "" || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: scanreport -manifest FILE -out FILE [-suppressions FILE] [-target DIR] [-today YYYY-MM-DD]")
		return exitError
	}
	day := now.UTC()
	if *today != "" {
		d, err := time.Parse(time.DateOnly, *today)
		if err != nil {
			fmt.Fprintf(stderr, "scanreport: -today %q: want YYYY-MM-DD\n", *today)
			return exitError
		}
		day = d
	}

	mf, err := os.Open(*manifestPath)
	if err != nil {
		fmt.Fprintf(stderr, "scanreport: %v\n", err)
		return exitError
	}
	m, err := readManifest(mf)
	_ = mf.Close()
	if err != nil {
		fmt.Fprintf(stderr, "scanreport: %v\n", err)
		return exitError
	}

	var sups []*Suppression
	if *supPath != "" {
		data, err := os.ReadFile(*supPath)
		if err != nil {
			fmt.Fprintf(stderr, "scanreport: %v\n", err)
			return exitError
		}
		sups, err = readSuppressions(bytes.NewReader(data), day)
		if err != nil {
			fmt.Fprintf(stderr, "scanreport: %s: %v\n", *supPath, err)
			return exitError
		}
	}

	rel := relativeTo(*target)
	for _, c := range m.Checks {
		readFindings(c, rel)
	}
	applySuppressions(m.Checks, sups, day)

	r := &Report{Manifest: m, Suppressions: sups, SuppressionFile: *supPath, Today: day}
	var md bytes.Buffer
	r.WriteMarkdown(&md)
	if err := os.WriteFile(*out, md.Bytes(), 0o600); err != nil {
		fmt.Fprintf(stderr, "scanreport: %v\n", err)
		return exitError
	}
	r.WriteSummary(stdout, *out)

	switch {
	case len(blocking(m.Checks)) > 0:
		return exitFindings
	case r.failed() > 0:
		return exitError
	}
	return exitPass
}

// readFindings parses the report of a check that ran. A report that cannot be read turns the
// check into a failed one: its findings are unknown, which is not a pass.
func readFindings(c *Check, rel func(string) string) {
	if c.Status != StatusRan {
		return
	}
	parse, ok := parsers[c.Format]
	if !ok {
		c.Status, c.Note = StatusFailed, fmt.Sprintf("no parser for report format %q", c.Format)
		return
	}
	data, err := os.ReadFile(c.Report)
	if err != nil {
		c.Status, c.Note = StatusFailed, fmt.Sprintf("report unreadable: %v", err)
		return
	}
	fs, err := parse(data, rel)
	if err != nil {
		c.Status, c.Note = StatusFailed, oneLine(err.Error())
		return
	}
	for i := range fs {
		fs[i].Check = c.Name
		if fs[i].Tool == "" {
			fs[i].Tool = c.Tool
		}
		fs[i].Message = oneLine(fs[i].Message)
	}
	c.Findings = fs
}

// relativeTo returns a function making file paths relative to root ("./x" and absolute paths
// under root alike); paths outside root, and non-paths such as module names, are unchanged.
func relativeTo(root string) func(string) string {
	if root != "" {
		if abs, err := filepath.Abs(root); err == nil {
			root = abs
		}
	}
	return func(p string) string {
		if p == "" {
			return p
		}
		if root != "" && filepath.IsAbs(p) {
			if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
				return filepath.ToSlash(r)
			}
		}
		return strings.TrimPrefix(filepath.ToSlash(p), "./")
	}
}
