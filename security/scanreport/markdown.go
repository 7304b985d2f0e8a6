package main

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Report is everything the consolidated report says: the manifest with each check's
// findings (already suppressed where a suppression applies) and the suppressions themselves.
type Report struct {
	Manifest        *Manifest
	Suppressions    []*Suppression
	SuppressionFile string
	Today           time.Time
}

// metaLabels names the manifest's meta keys in the report; unknown keys are shown as is.
var metaLabels = map[string]string{
	"started":  "Started",
	"mode":     "Mode",
	"target":   "Scanned tree",
	"commit":   "Commit",
	"go":       "Go",
	"vulndb":   "Vulnerability database",
	"platform": "Platform",
}

func (r *Report) failed() int {
	n := 0
	for _, c := range r.Manifest.Checks {
		if c.Status == StatusFailed {
			n++
		}
	}
	return n
}

// verdict is the one-line result: PASS, or FAIL with why.
func (r *Report) verdict() string {
	b := blocking(r.Manifest.Checks)
	var why []string
	if len(b) > 0 {
		var crit, high int
		for _, f := range b {
			if f.Severity == SeverityCritical {
				crit++
			} else {
				high++
			}
		}
		why = append(why, fmt.Sprintf("%d blocking finding(s): %d critical, %d high", len(b), crit, high))
	}
	if n := r.failed(); n > 0 {
		why = append(why, fmt.Sprintf("%d check(s) could not run", n))
	}
	if len(why) == 0 {
		return "PASS"
	}
	return "FAIL: " + strings.Join(why, "; ")
}

// WriteMarkdown writes the consolidated report.
func (r *Report) WriteMarkdown(w io.Writer) {
	m := r.Manifest
	fmt.Fprintf(w, "# vigil security scan report\n\n")
	fmt.Fprintf(w, "**Result: %s**\n\n", r.verdict())
	for _, k := range m.Keys {
		label := metaLabels[k]
		if label == "" {
			label = k
		}
		fmt.Fprintf(w, "- %s: %s\n", label, cell(m.Meta[k]))
	}
	if r.SuppressionFile != "" {
		fmt.Fprintf(w, "- Suppressions: `%s` (%d entries, judged on %s)\n", r.SuppressionFile, len(r.Suppressions), r.Today.Format(time.DateOnly))
	}
	fmt.Fprintf(w, "\nA high or critical finding that no active suppression accepts fails the scan, and so does a\n")
	fmt.Fprintf(w, "required check that could not run. How each scanner's findings are graded is in\n")
	fmt.Fprintf(w, "docs/SECURITY.md (\"Scanner severities\").\n\n")

	fmt.Fprintf(w, "## Checks\n\n")
	fmt.Fprintf(w, "| Check | Status | Version | Critical | High | Medium | Low | Suppressed | Seconds | Raw report |\n")
	fmt.Fprintf(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---|\n")
	for _, c := range m.Checks {
		n, sup := c.counts()
		report := ""
		if c.Report != "" {
			report = "`" + filepath.Base(c.Report) + "`"
		}
		status := string(c.Status)
		if c.Status == StatusFailed {
			status = "**FAILED**"
		}
		if c.Status == StatusRan {
			fmt.Fprintf(w, "| %s | %s | %s | %d | %d | %d | %d | %d | %.1f | %s |\n", cell(c.Name), status, cell(c.Version),
				n[SeverityCritical], n[SeverityHigh], n[SeverityMedium], n[SeverityLow], sup, c.Seconds, report)
		} else {
			fmt.Fprintf(w, "| %s | %s | %s | – | – | – | – | – | %.1f | %s |\n", cell(c.Name), status, cell(c.Version), c.Seconds, report)
		}
	}

	var notRun []*Check
	for _, c := range m.Checks {
		if c.Status != StatusRan || c.Note != "" {
			notRun = append(notRun, c)
		}
	}
	if len(notRun) > 0 {
		fmt.Fprintf(w, "\n## Not run, failed, or worth a note\n\n")
		for _, c := range notRun {
			fmt.Fprintf(w, "- **%s** (%s): %s\n", cell(c.Name), c.Status, cell(c.Note))
		}
	}

	if b := blocking(m.Checks); len(b) > 0 {
		fmt.Fprintf(w, "\n## Blocking findings\n\n")
		writeFindings(w, b)
	}

	fmt.Fprintf(w, "\n## Findings by check\n")
	listed := false
	for _, c := range m.Checks {
		var fs []Finding
		for _, f := range c.Findings {
			if f.Severity > SeverityInfo {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		listed = true
		fmt.Fprintf(w, "\n### %s (%d)\n\n", cell(c.Name), len(fs))
		writeFindings(w, fs)
	}
	if !listed {
		fmt.Fprintf(w, "\nNone.\n")
	}

	for _, c := range m.Checks {
		var info []Finding
		for _, f := range c.Findings {
			if f.Severity == SeverityInfo {
				info = append(info, f)
			}
		}
		if len(info) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n## Inventory: %s (%d, informational)\n\n", cell(c.Name), len(info))
		fmt.Fprintf(w, "<details><summary>show</summary>\n\n| Item | Rule | Note |\n|---|---|---|\n")
		for _, f := range info {
			fmt.Fprintf(w, "| %s | %s | %s |\n", cell(f.Location()), cell(f.Rule), cell(f.Message))
		}
		fmt.Fprintf(w, "\n</details>\n")
	}

	if len(r.Suppressions) > 0 {
		fmt.Fprintf(w, "\n## Suppressions\n\n")
		fmt.Fprintf(w, "| Line | Tool | Rule | Path | Expires | Reviewer | State | Matched | Reason |\n")
		fmt.Fprintf(w, "|---:|---|---|---|---|---|---|---:|---|\n")
		for _, s := range r.Suppressions {
			state := "active"
			switch {
			case !s.activeOn(r.Today):
				state = "**EXPIRED: no longer suppresses**"
			case s.matched == 0:
				state = "unused (remove it?)"
			}
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %d | %s |\n", s.Line, cell(s.Tool), cell(s.Rule), cell(s.Path),
				s.ExpiresText(), cell(s.Reviewer), state, s.matched, cell(s.Reason))
		}
	}
}

func writeFindings(w io.Writer, fs []Finding) {
	sorted := append([]Finding(nil), fs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Severity != sorted[j].Severity {
			return sorted[i].Severity > sorted[j].Severity
		}
		return sorted[i].Location() < sorted[j].Location()
	})
	fmt.Fprintf(w, "| Severity | Check | Rule | Location | Finding | Suppression |\n|---|---|---|---|---|---|\n")
	for _, f := range sorted {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", f.Severity, cell(f.Check), cell(f.Rule), cell(f.Location()), cell(f.Message), suppressionNote(f))
	}
}

func suppressionNote(f Finding) string {
	switch {
	case f.Suppressed != nil:
		return fmt.Sprintf("suppressed until %s (line %d)", f.Suppressed.ExpiresText(), f.Suppressed.Line)
	case f.Expired != nil:
		return fmt.Sprintf("**suppression expired %s (line %d)**", f.Expired.ExpiresText(), f.Expired.Line)
	}
	return ""
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(oneLine(s), "|", `\|`)
	return strings.ReplaceAll(s, "`", "'")
}

// WriteSummary writes the short plain-text summary for a terminal or CI log: one line per
// check, then every blocking finding and every expired suppression that matched something.
func (r *Report) WriteSummary(w io.Writer, reportPath string) {
	fmt.Fprintf(w, "\n%-28s %-8s %-10s %5s %5s %5s %5s %5s\n", "check", "status", "version", "crit", "high", "med", "low", "supp")
	for _, c := range r.Manifest.Checks {
		n, sup := c.counts()
		if c.Status != StatusRan {
			fmt.Fprintf(w, "%-28s %-8s %-10s  %s\n", c.Name, c.Status, c.Version, oneLine(c.Note))
			continue
		}
		fmt.Fprintf(w, "%-28s %-8s %-10s %5d %5d %5d %5d %5d\n", c.Name, c.Status, c.Version,
			n[SeverityCritical], n[SeverityHigh], n[SeverityMedium], n[SeverityLow], sup)
	}
	if b := blocking(r.Manifest.Checks); len(b) > 0 {
		fmt.Fprintf(w, "\nblocking findings:\n")
		for _, f := range b {
			note := ""
			if f.Expired != nil {
				note = fmt.Sprintf(" [suppression expired %s]", f.Expired.ExpiresText())
			}
			fmt.Fprintf(w, "  %-8s %-12s %-28s %s: %s%s\n", strings.ToUpper(f.Severity.String()), f.Tool, f.Rule, f.Location(), f.Message, note)
		}
	}
	for _, s := range r.Suppressions {
		if !s.activeOn(r.Today) {
			fmt.Fprintf(w, "\nsuppression expired on %s (line %d: %s %s %s): it no longer suppresses; review it\n", s.ExpiresText(), s.Line, s.Tool, s.Rule, s.Path)
		}
	}
	fmt.Fprintf(w, "\nresult: %s\nreport: %s\n", r.verdict(), reportPath)
}
