package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// parseGitleaks reads gitleaks' JSON report. Every secret found is critical: a leaked secret
// must be rotated, not just deleted. Reports are made with --redact, and only the rule and
// the place are kept here, never the match.
func parseGitleaks(data []byte, rel func(string) string) ([]Finding, error) {
	var leaks []struct {
		RuleID      string `json:"RuleID"`
		Description string `json:"Description"`
		File        string `json:"File"`
		StartLine   int    `json:"StartLine"`
		Commit      string `json:"Commit"`
	}
	if err := json.Unmarshal(data, &leaks); err != nil {
		return nil, fmt.Errorf("gitleaks report: %w", err)
	}
	var out []Finding
	for _, l := range leaks {
		msg := "secret matching rule " + l.RuleID
		if l.Commit != "" {
			c := l.Commit
			if len(c) > 12 {
				c = c[:12]
			}
			msg += " in commit " + c
		}
		out = append(out, Finding{
			Tool: "gitleaks", Rule: l.RuleID, Severity: SeverityCritical,
			Path: rel(l.File), Line: l.StartLine, Message: msg,
		})
	}
	return out, nil
}

// parseTfsec reads tfsec's JSON report; tfsec's severities are kept. The rule is tfsec's long
// id (aws-s3-enable-versioning), with the AVD id as an alias.
func parseTfsec(data []byte, rel func(string) string) ([]Finding, error) {
	var rep struct {
		Results []struct {
			RuleID      string `json:"rule_id"`
			LongID      string `json:"long_id"`
			Description string `json:"description"`
			Severity    string `json:"severity"`
			Resource    string `json:"resource"`
			Location    struct {
				Filename  string `json:"filename"`
				StartLine int    `json:"start_line"`
			} `json:"location"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("tfsec report: %w", err)
	}
	var out []Finding
	for _, r := range rep.Results {
		sev, err := parseSeverity(r.Severity)
		if err != nil {
			return nil, fmt.Errorf("tfsec %s: %w", r.LongID, err)
		}
		msg := r.Description
		if r.Resource != "" {
			msg = r.Resource + ": " + msg
		}
		out = append(out, Finding{
			Tool: "tfsec", Rule: r.LongID, Aliases: []string{r.RuleID}, Severity: sev,
			Path: rel(r.Location.Filename), Line: r.Location.StartLine, Message: msg,
		})
	}
	return out, nil
}

// lintSeverity maps the levels shellcheck and hadolint share: error is high (the script or
// image is broken or unsafe), warning medium, info and style low.
func lintSeverity(level string) Severity {
	switch strings.ToLower(level) {
	case "error":
		return SeverityHigh
	case "warning":
		return SeverityMedium
	default:
		return SeverityLow
	}
}

// parseShellcheck reads shellcheck's json1 report.
func parseShellcheck(data []byte, rel func(string) string) ([]Finding, error) {
	var rep struct {
		Comments []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Level   string `json:"level"`
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"comments"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("shellcheck report: %w", err)
	}
	var out []Finding
	for _, c := range rep.Comments {
		out = append(out, Finding{
			Tool: "shellcheck", Rule: fmt.Sprintf("SC%d", c.Code), Severity: lintSeverity(c.Level),
			Path: rel(c.File), Line: c.Line, Message: c.Message,
		})
	}
	return out, nil
}

// parseHadolint reads hadolint's JSON report (-f json), and the same format from the scan
// script's built-in Dockerfile policy check; the tool name comes from the manifest.
func parseHadolint(data []byte, rel func(string) string) ([]Finding, error) {
	var rep []struct {
		File    string `json:"file"`
		Line    int    `json:"line"`
		Code    string `json:"code"`
		Level   string `json:"level"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("hadolint report: %w", err)
	}
	var out []Finding
	for _, r := range rep {
		out = append(out, Finding{
			Rule: r.Code, Severity: lintSeverity(r.Level),
			Path: rel(r.File), Line: r.Line, Message: r.Message,
		})
	}
	return out, nil
}

// parseTrivy reads trivy's JSON report (trivy fs --format json): vulnerabilities,
// misconfigurations and secrets, with trivy's severities (UNKNOWN counts as medium).
func parseTrivy(data []byte, rel func(string) string) ([]Finding, error) {
	var rep struct {
		Results []struct {
			Target          string `json:"Target"`
			Vulnerabilities []struct {
				ID               string `json:"VulnerabilityID"`
				PkgName          string `json:"PkgName"`
				InstalledVersion string `json:"InstalledVersion"`
				FixedVersion     string `json:"FixedVersion"`
				Severity         string `json:"Severity"`
				Title            string `json:"Title"`
			} `json:"Vulnerabilities"`
			Misconfigurations []struct {
				ID       string `json:"ID"`
				AVDID    string `json:"AVDID"`
				Title    string `json:"Title"`
				Severity string `json:"Severity"`
				Status   string `json:"Status"`
				Cause    struct {
					StartLine int `json:"StartLine"`
				} `json:"CauseMetadata"`
			} `json:"Misconfigurations"`
			Secrets []struct {
				RuleID    string `json:"RuleID"`
				Severity  string `json:"Severity"`
				Title     string `json:"Title"`
				StartLine int    `json:"StartLine"`
			} `json:"Secrets"`
		} `json:"Results"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("trivy report: %w", err)
	}
	sev := func(s string) Severity {
		v, err := parseSeverity(s)
		if err != nil {
			return SeverityMedium
		}
		return v
	}
	var out []Finding
	for _, r := range rep.Results {
		for _, v := range r.Vulnerabilities {
			out = append(out, Finding{
				Tool: "trivy", Rule: v.ID, Severity: sev(v.Severity), Path: v.PkgName,
				Message: fmt.Sprintf("%s@%s (%s; fixed in %q): %s", v.PkgName, v.InstalledVersion, rel(r.Target), v.FixedVersion, v.Title),
			})
		}
		for _, m := range r.Misconfigurations {
			if m.Status != "" && m.Status != "FAIL" {
				continue
			}
			out = append(out, Finding{
				Tool: "trivy", Rule: m.ID, Aliases: []string{m.AVDID}, Severity: sev(m.Severity),
				Path: rel(r.Target), Line: m.Cause.StartLine, Message: m.Title,
			})
		}
		for _, s := range r.Secrets {
			out = append(out, Finding{
				Tool: "trivy", Rule: s.RuleID, Severity: SeverityCritical,
				Path: rel(r.Target), Line: s.StartLine, Message: "secret: " + s.Title,
			})
		}
	}
	return out, nil
}

// parseSemgrep reads semgrep's JSON report: ERROR is high, WARNING medium, INFO low.
// Errors semgrep itself reports (unparsable files, bad rules) fail the check.
func parseSemgrep(data []byte, rel func(string) string) ([]Finding, error) {
	var rep struct {
		Results []struct {
			CheckID string `json:"check_id"`
			Path    string `json:"path"`
			Start   struct {
				Line int `json:"line"`
			} `json:"start"`
			Extra struct {
				Severity string `json:"severity"`
				Message  string `json:"message"`
			} `json:"extra"`
		} `json:"results"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("semgrep report: %w", err)
	}
	if len(rep.Errors) > 0 {
		return nil, fmt.Errorf("semgrep reported %d error(s), first: %s", len(rep.Errors), oneLine(rep.Errors[0].Message))
	}
	var out []Finding
	for _, r := range rep.Results {
		out = append(out, Finding{
			Tool: "semgrep", Rule: r.CheckID, Severity: lintSeverity(r.Extra.Severity),
			Path: rel(r.Path), Line: r.Start.Line, Message: r.Extra.Message,
		})
	}
	return out, nil
}

// parseTerraformFmt reads `terraform fmt -check -list=true` output: one file a line that is
// not in canonical format. Formatting is low: it hides nothing, but keeps reviews readable.
func parseTerraformFmt(data []byte, rel func(string) string) ([]Finding, error) {
	var out []Finding
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		out = append(out, Finding{
			Tool: "terraform", Rule: "fmt", Severity: SeverityLow, Path: rel(line),
			Message: "not in canonical format; run terraform fmt",
		})
	}
	return out, nil
}

// parseTerraformValidate reads `terraform validate -json`: an error diagnostic is high (the
// configuration would not apply as written), a warning low.
func parseTerraformValidate(data []byte, rel func(string) string) ([]Finding, error) {
	var rep struct {
		Diagnostics []struct {
			Severity string `json:"severity"`
			Summary  string `json:"summary"`
			Detail   string `json:"detail"`
			Range    *struct {
				Filename string `json:"filename"`
				Start    struct {
					Line int `json:"line"`
				} `json:"start"`
			} `json:"range"`
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("terraform validate report: %w", err)
	}
	var out []Finding
	for _, d := range rep.Diagnostics {
		f := Finding{Tool: "terraform", Rule: "validate", Severity: SeverityLow, Message: d.Summary}
		if d.Severity == "error" {
			f.Severity = SeverityHigh
		}
		if d.Detail != "" {
			f.Message += ": " + d.Detail
		}
		if d.Range != nil {
			f.Path, f.Line = rel(d.Range.Filename), d.Range.Start.Line
		}
		out = append(out, f)
	}
	return out, nil
}
