package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// summary is the part of a finding the parser tests compare.
type summary struct {
	Rule     string
	Severity Severity
	Location string
}

func summarise(fs []Finding) []summary {
	out := make([]summary, 0, len(fs))
	for _, f := range fs {
		out = append(out, summary{f.Rule, f.Severity, f.Location()})
	}
	slices.SortFunc(out, func(a, b summary) int {
		return strings.Compare(a.Rule+a.Location, b.Rule+b.Location)
	})
	return out
}

func TestParsers(t *testing.T) {
	rel := relativeTo("/src/fixture")
	tests := []struct {
		format string
		file   string
		want   []summary
	}{
		{"gosec-json", "gosec.json", []summary{
			{"G101", SeverityHigh, "main.go:19"},
			{"G404", SeverityHigh, "main.go:23"},
			{"G702", SeverityHigh, "main.go:29"},
			{"G705", SeverityMedium, "main.go:34"},
		}},
		{"staticcheck-json", "staticcheck.json", []summary{
			{"SA4018", SeverityMedium, "main.go:5"},
			{"ST1005", SeverityLow, "main.go:9"},
		}},
		// One finding per vulnerability, at its most precise level: GO-2021-0113 is called,
		// GO-2022-1059 only imported.
		{"govulncheck-json", "govulncheck.json", []summary{
			{"GO-2021-0113", SeverityHigh, "golang.org/x/text"},
			{"GO-2022-1059", SeverityMedium, "golang.org/x/text"},
		}},
		{"go-licenses-text", "licences.txt", []summary{
			{"AGPL-3.0", SeverityHigh, "example.com/network"},
			{"BSD-3-Clause", SeverityInfo, "golang.org/x/text"},
			{"GPL-3.0", SeverityHigh, "example.com/copyleft"},
			{"MPL-2.0", SeverityLow, "example.com/mozilla"},
			{"unidentified", SeverityHigh, "example.com/nolicence"},
		}},
		{"gitleaks-json", "gitleaks.json", []summary{
			{"aws-access-token", SeverityCritical, "main.go:19"},
		}},
		{"tfsec-json", "tfsec.json", []summary{
			{"aws-s3-enable-versioning", SeverityMedium, "insecure.tf:2"},
			{"aws-vpc-no-public-ingress-sgr", SeverityCritical, "insecure.tf:19"},
		}},
		{"shellcheck-json1", "shellcheck.json", []summary{
			{"SC2086", SeverityLow, "bad.sh:2"},
			{"SC2086", SeverityLow, "bad.sh:4"},
			{"SC2154", SeverityMedium, "bad.sh:4"},
			{"SC2164", SeverityMedium, "bad.sh:3"},
		}},
		{"hadolint-json", "hadolint.json", []summary{
			{"DL3002", SeverityHigh, "Dockerfile:5"},
			{"DL3007", SeverityMedium, "Dockerfile:1"},
		}},
		{"trivy-json", "trivy.json", []summary{
			{"AVD-AWS-0107", SeverityCritical, "insecure.tf:19"},
			{"CVE-2021-38561", SeverityHigh, "golang.org/x/text"},
			{"aws-access-key-id", SeverityCritical, "main.go:19"},
		}},
		{"semgrep-json", "semgrep.json", []summary{
			{"go.lang.security.audit.crypto.math_random", SeverityMedium, "main.go:23"},
			{"go.lang.security.audit.dangerous-exec-command", SeverityHigh, "main.go:29"},
		}},
		{"terraform-json", "terraform-validate.json", []summary{
			{"validate", SeverityLow, ""},
			{"validate", SeverityHigh, "s3.tf:3"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			fs, err := parsers[tt.format](data, rel)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			got := summarise(fs)
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// A report that says the scanner could not analyse everything must not read as a clean pass.
func TestParsersRefuseIncompleteReports(t *testing.T) {
	tests := []struct {
		name, format, data, want string
	}{
		{"gosec type errors", "gosec-json", `{"Golang errors":{"/src/x.go":[{"line":3,"column":1,"error":"undefined: y"}]},"Issues":[]}`, "could not type-check"},
		{"staticcheck compile", "staticcheck-json", `{"code":"compile","severity":"error","location":{"file":"","line":0},"message":"# x\nundefined: y"}`, "could not type-check"},
		{"go-licenses fatal", "go-licenses-text", mustRead(t, "licences-fatal.txt"), "go-licenses stopped"},
		{"semgrep errors", "semgrep-json", `{"results":[],"errors":[{"message":"rule parse error"}]}`, "semgrep reported 1 error"},
		{"not json", "tfsec-json", `tfsec: panic`, "tfsec report"},
		{"unknown severity", "gosec-json", `{"Issues":[{"severity":"SEVERE","rule_id":"G1","file":"x.go","line":"1"}]}`, "unknown severity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parsers[tt.format]([]byte(tt.data), relativeTo(""))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestGitleaksFindingNeverCarriesTheSecret(t *testing.T) {
	data := `[{"RuleID":"generic-api-key","File":"a.go","StartLine":3,"Match":"key = s3cr3tvalue","Secret":"s3cr3tvalue","Commit":"0123456789abcdef0123"}]`
	fs, err := parseGitleaks([]byte(data), relativeTo(""))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || strings.Contains(fs[0].Message, "s3cr3t") {
		t.Fatalf("findings = %+v, want one without the secret", fs)
	}
	if !strings.Contains(fs[0].Message, "0123456789ab") {
		t.Errorf("message %q does not name the commit", fs[0].Message)
	}
}

func TestRelativeTo(t *testing.T) {
	rel := relativeTo("/src/fixture")
	for in, want := range map[string]string{
		"/src/fixture/main.go":       "main.go",
		"/src/fixture/deploy/x.tf":   "deploy/x.tf",
		"./internal/a.go":            "internal/a.go",
		"golang.org/x/text":          "golang.org/x/text",
		"/elsewhere/main.go":         "/elsewhere/main.go",
		"/src/fixture-other/main.go": "/src/fixture-other/main.go",
		"":                           "",
	} {
		if got := rel(in); got != want {
			t.Errorf("rel(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
