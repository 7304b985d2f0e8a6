package main

import (
	"fmt"
	"strings"
)

// Severity ranks a finding. The zero value is SeverityInfo; a higher value is worse.
type Severity int

// The severities, in the order the report lists them (worst last in value, first on the page).
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// Blocking reports whether an unsuppressed finding of this severity fails the scan.
func (s Severity) Blocking() bool { return s >= SeverityHigh }

// parseSeverity reads a severity name in any case ("HIGH", "high"); unknown names are an error.
func parseSeverity(name string) (Severity, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, s := range severityNames {
		if s == n {
			return Severity(i), nil
		}
	}
	return SeverityInfo, fmt.Errorf("unknown severity %q", name)
}

// Finding is one problem reported by one scanner, in the same shape whatever the scanner.
type Finding struct {
	Tool     string   // the scanner, as named in the suppression file: "gosec", "tfsec", ...
	Check    string   // the check that produced it, as listed in the report: "gitleaks (git history)"
	Rule     string   // the scanner's rule: "G404", "aws-s3-enable-versioning", "GO-2024-1234"
	Aliases  []string // other names of the same rule a suppression may use ("AVD-AWS-0090")
	Severity Severity // as mapped from the scanner's own scale (see docs/SECURITY.md)
	Path     string   // file relative to the scanned tree, or the module / library for dependencies
	Line     int      // 0 when the finding has no line
	Message  string   // one line; never the secret itself

	// Suppressed is the active suppression that accepts this finding, if any.
	Suppressed *Suppression
	// Expired is an expired suppression that would have matched: it no longer suppresses.
	Expired *Suppression
}

// Location is the path, with ":line" when there is one.
func (f Finding) Location() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d", f.Path, f.Line)
	}
	return f.Path
}

// Status says whether a check ran.
type Status string

// The statuses of a check.
const (
	StatusRan     Status = "ran"     // the check ran and its report was read
	StatusSkipped Status = "skipped" // not run on purpose (tool not installed, nothing to scan); says why
	StatusFailed  Status = "failed"  // should have run but could not, or its report is unreadable
)

// Check is one scanner run as the scan script recorded it, plus what scanreport read from it.
type Check struct {
	Name    string  // "gosec", "gitleaks (working tree)"
	Tool    string  // the suppression-file tool name
	Status  Status  // ran, skipped or failed
	Version string  // the scanner's version, "" when unknown
	Format  string  // the report parser to use (see parsers)
	Report  string  // the raw report file, "" when there is none
	Seconds float64 // wall time of the run
	Note    string  // why it was skipped or failed, or a remark on the run

	Findings []Finding
}

// counts returns the unsuppressed findings per severity and the number suppressed.
func (c *Check) counts() (bySeverity [SeverityCritical + 1]int, suppressed int) {
	for _, f := range c.Findings {
		if f.Suppressed != nil {
			suppressed++
			continue
		}
		bySeverity[f.Severity]++
	}
	return bySeverity, suppressed
}

// blocking returns the unsuppressed findings that fail the scan.
func blocking(checks []*Check) []Finding {
	var out []Finding
	for _, c := range checks {
		for _, f := range c.Findings {
			if f.Suppressed == nil && f.Severity.Blocking() {
				out = append(out, f)
			}
		}
	}
	return out
}
