package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// parseGosec reads gosec's JSON report (-fmt json). gosec's own severities are kept.
// Packages gosec could not type-check are an error: their code was not analysed.
func parseGosec(data []byte, rel func(string) string) ([]Finding, error) {
	var rep struct {
		Errors map[string][]struct {
			Line  int    `json:"line"`
			Error string `json:"error"`
		} `json:"Golang errors"`
		Issues []struct {
			Severity string `json:"severity"`
			RuleID   string `json:"rule_id"`
			Details  string `json:"details"`
			File     string `json:"file"`
			Line     string `json:"line"`
		} `json:"Issues"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("gosec report: %w", err)
	}
	if len(rep.Errors) > 0 {
		var files []string
		for f, errs := range rep.Errors {
			msg := rel(f)
			if len(errs) > 0 {
				msg += ": " + errs[0].Error
			}
			files = append(files, msg)
		}
		sort.Strings(files)
		return nil, fmt.Errorf("gosec could not type-check %d file(s), so did not analyse them: %s", len(files), strings.Join(files, "; "))
	}
	var out []Finding
	for _, is := range rep.Issues {
		sev, err := parseSeverity(is.Severity)
		if err != nil {
			return nil, fmt.Errorf("gosec %s: %w", is.RuleID, err)
		}
		out = append(out, Finding{
			Tool: "gosec", Rule: is.RuleID, Severity: sev,
			Path: rel(is.File), Line: firstLine(is.Line), Message: is.Details,
		})
	}
	return out, nil
}

// firstLine reads gosec's line field, which is "12" or a range "12-14".
func firstLine(s string) int {
	s, _, _ = strings.Cut(s, "-")
	n, _ := strconv.Atoi(s)
	return n
}

// parseStaticcheck reads staticcheck's JSON lines (-f json). Its checks are about correctness
// rather than security, so bugs (SA) are medium and style, simplifications and unused code
// low; none blocks on its own. A "compile" entry means the code did not type-check: an error.
func parseStaticcheck(data []byte, rel func(string) string) ([]Finding, error) {
	var out []Finding
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var d struct {
			Code     string `json:"code"`
			Severity string `json:"severity"`
			Location struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"location"`
			Message string `json:"message"`
		}
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("staticcheck report: %w", err)
		}
		if d.Code == "compile" {
			return nil, fmt.Errorf("staticcheck could not type-check the code: %s", oneLine(d.Message))
		}
		if d.Severity == "ignored" {
			continue
		}
		sev := SeverityLow
		if strings.HasPrefix(d.Code, "SA") {
			sev = SeverityMedium
		}
		out = append(out, Finding{
			Tool: "staticcheck", Rule: d.Code, Severity: sev,
			Path: rel(d.Location.File), Line: d.Location.Line, Message: d.Message,
		})
	}
	return out, nil
}

// parseGovulncheck reads govulncheck's JSON stream (-format json). Each vulnerability is one
// finding at its most precise level: a vulnerable function the code calls is high; a
// vulnerable package imported but not called, medium; a vulnerable module only required, low.
// The Go vulnerability database carries no severity, so reachability stands in for it.
func parseGovulncheck(data []byte, rel func(string) string) ([]Finding, error) {
	type frame struct {
		Module   string `json:"module"`
		Version  string `json:"version"`
		Package  string `json:"package"`
		Function string `json:"function"`
		Receiver string `json:"receiver"`
		Position *struct {
			Filename string `json:"filename"`
			Line     int    `json:"line"`
		} `json:"position"`
	}
	type message struct {
		OSV *struct {
			ID      string   `json:"id"`
			Aliases []string `json:"aliases"`
			Summary string   `json:"summary"`
		} `json:"osv"`
		Finding *struct {
			OSV          string  `json:"osv"`
			FixedVersion string  `json:"fixed_version"`
			Trace        []frame `json:"trace"`
		} `json:"finding"`
	}
	summaries := map[string]string{}
	aliases := map[string][]string{}
	best := map[string]Finding{} // by OSV id and module
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("govulncheck report: %w", err)
		}
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
			aliases[m.OSV.ID] = m.OSV.Aliases
		}
		if m.Finding == nil || len(m.Finding.Trace) == 0 {
			continue
		}
		vuln := m.Finding.Trace[0]
		sev, level := SeverityLow, "module required"
		switch {
		case vuln.Function != "":
			sev, level = SeverityHigh, "called"
		case vuln.Package != "":
			sev, level = SeverityMedium, "package imported, vulnerable code not called"
		}
		fixed := "no fixed version"
		if m.Finding.FixedVersion != "" {
			fixed = "fixed in " + m.Finding.FixedVersion
		}
		msg := fmt.Sprintf("%s@%s: %s (%s)", vuln.Module, vuln.Version, level, fixed)
		if vuln.Function != "" {
			fn := vuln.Package + "." + vuln.Function
			if vuln.Receiver != "" {
				fn = vuln.Package + "." + vuln.Receiver + "." + vuln.Function
			}
			msg += "; calls " + fn
			if caller := m.Finding.Trace[len(m.Finding.Trace)-1]; caller.Position != nil {
				msg += fmt.Sprintf(" from %s:%d", rel(caller.Position.Filename), caller.Position.Line)
			}
		}
		key := m.Finding.OSV + " " + vuln.Module
		if prev, ok := best[key]; ok && prev.Severity >= sev {
			continue
		}
		best[key] = Finding{
			Tool: "govulncheck", Rule: m.Finding.OSV, Severity: sev,
			Path: vuln.Module, Message: msg,
		}
	}
	out := make([]Finding, 0, len(best))
	for _, f := range best {
		f.Aliases = aliases[f.Rule]
		if s := summaries[f.Rule]; s != "" {
			f.Message = s + " — " + f.Message
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule+out[i].Path < out[j].Rule+out[j].Path })
	return out, nil
}

// licenceLine is how go-licenses check reports each library it was told to disallow.
var licenceLine = regexp.MustCompile(`^(Forbidden|Restricted|Reciprocal|Notice|Permissive|Unencumbered|Unknown) license type (.*) found for library (\S+)$`)

// klogFatal is how go-licenses reports the error that stopped it ("F1124 12:55:39.818 ...").
var klogFatal = regexp.MustCompile(`^F\d{4} \d\d:\d\d:\d\d`)

// parseLicences reads the output of `go-licenses check` run with every licence type
// disallowed, which lists every library with its licence, offline. The binary must not link
// GPL-family code (restricted), AGPL and similar (forbidden), or code whose licence could not
// be identified (unknown): each is high. Reciprocal licences (MPL, EPL) are low, to be
// looked at; notice, permissive and unencumbered ones are listed as info.
func parseLicences(data []byte, _ func(string) string) ([]Finding, error) {
	var out []Finding
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		m := licenceLine.FindStringSubmatch(line)
		if m == nil {
			if klogFatal.MatchString(line) || strings.HasPrefix(line, "Error:") {
				return nil, fmt.Errorf("go-licenses stopped: %s", line)
			}
			continue
		}
		kind, name, lib := m[1], strings.TrimSpace(m[2]), m[3]
		sev := SeverityInfo
		switch kind {
		case "Forbidden", "Restricted", "Unknown":
			sev = SeverityHigh
		case "Reciprocal":
			sev = SeverityLow
		}
		if name == "" {
			name = "unidentified"
		}
		out = append(out, Finding{
			Tool: "go-licenses", Rule: name, Severity: sev, Path: lib,
			Message: fmt.Sprintf("%s licence (%s)", name, strings.ToLower(kind)),
		})
	}
	return out, sc.Err()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}
