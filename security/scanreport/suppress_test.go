package main

import (
	"strings"
	"testing"
	"time"
)

var day = time.Date(2026, 11, 24, 15, 4, 5, 0, time.UTC)

const reason = "accepted because the simulator is seeded on purpose"

func TestReadSuppressionsRejectsMalformedLines(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"too few fields", "gosec | G404 | a.go | 2027-01-01 | " + reason, "want 6 fields"},
		{"wildcard rule", "gosec | G* | a.go | 2027-01-01 | ann | " + reason, "no wildcards"},
		{"empty path", "gosec | G404 |  | 2027-01-01 | ann | " + reason, "path is empty"},
		{"no reviewer", "gosec | G404 | a.go | 2027-01-01 |  | " + reason, "reviewer is empty"},
		{"short reason", "gosec | G404 | a.go | 2027-01-01 | ann | fp", "say why"},
		{"bad date", "gosec | G404 | a.go | 01/01/2027 | ann | " + reason, "want YYYY-MM-DD"},
		{"too far ahead", "gosec | G404 | a.go | 2028-01-01 | ann | " + reason, "more than a year ahead"},
		{"bad pattern", "gosec | G404 | [a.go | 2027-01-01 | ann | " + reason, "syntax error in pattern"},
		{"two-word tool", "go sec | G404 | a.go | 2027-01-01 | ann | " + reason, "want one word"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := "# comment\n\n" + tt.line + "\n"
			_, err := readSuppressions(strings.NewReader(input), day)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "line 3") {
				t.Fatalf("err = %v, want line 3 and %q", err, tt.want)
			}
		})
	}
}

func TestSuppressionMatching(t *testing.T) {
	f := Finding{Tool: "tfsec", Rule: "aws-elb-alb-not-public", Aliases: []string{"AVD-AWS-0053"}, Path: "deploy/terraform/alb.tf", Line: 3}
	tests := []struct {
		line string
		want bool
	}{
		{"tfsec | aws-elb-alb-not-public | deploy/terraform/alb.tf | 2027-01-01 | ann | " + reason, true},
		{"tfsec | AVD-AWS-0053 | deploy/terraform/alb.tf | 2027-01-01 | ann | " + reason, true},
		{"tfsec | aws-elb-alb-not-public | deploy/terraform/*.tf | 2027-01-01 | ann | " + reason, true},
		{"tfsec | aws-elb-alb-not-public | deploy/ | 2027-01-01 | ann | " + reason, true},
		{"tfsec | aws-elb-alb-not-public | deploy/*.tf | 2027-01-01 | ann | " + reason, false}, // * stops at /
		{"tfsec | aws-elb-alb-not-public | deploy/terraform/s3.tf | 2027-01-01 | ann | " + reason, false},
		{"tfsec | aws-s3-enable-versioning | deploy/terraform/alb.tf | 2027-01-01 | ann | " + reason, false},
		{"gosec | aws-elb-alb-not-public | deploy/terraform/alb.tf | 2027-01-01 | ann | " + reason, false},
	}
	for _, tt := range tests {
		sups, err := readSuppressions(strings.NewReader(tt.line), day)
		if err != nil {
			t.Fatal(err)
		}
		if got := sups[0].matches(f); got != tt.want {
			t.Errorf("%s: matches = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestExpiredSuppressionNoLongerSuppresses(t *testing.T) {
	input := strings.Join([]string{
		"gosec | G404 | internal/synth/ | 2026-11-24 | ann | " + reason, // last day: still active
		"gosec | G101 | cmd/x.go | 2026-11-23 | ann | " + reason,        // expired yesterday
		"gosec | G304 | cmd/y.go | 2027-03-01 | ann | " + reason,        // matches nothing
	}, "\n")
	sups, err := readSuppressions(strings.NewReader(input), day)
	if err != nil {
		t.Fatal(err)
	}
	c := &Check{Name: "gosec", Tool: "gosec", Status: StatusRan, Findings: []Finding{
		{Tool: "gosec", Rule: "G404", Severity: SeverityHigh, Path: "internal/synth/rand.go"},
		{Tool: "gosec", Rule: "G101", Severity: SeverityHigh, Path: "cmd/x.go"},
	}}
	applySuppressions([]*Check{c}, sups, day)

	if c.Findings[0].Suppressed != sups[0] {
		t.Errorf("G404 not suppressed on the suppression's last day")
	}
	if c.Findings[1].Suppressed != nil || c.Findings[1].Expired != sups[1] {
		t.Errorf("G101: suppressed=%v expired=%v, want unsuppressed and marked expired", c.Findings[1].Suppressed, c.Findings[1].Expired)
	}
	if b := blocking([]*Check{c}); len(b) != 1 || b[0].Rule != "G101" {
		t.Errorf("blocking = %+v, want only G101", b)
	}
	if sups[2].matched != 0 || sups[0].matched != 1 || sups[1].matched != 1 {
		t.Errorf("matched counts = %d %d %d, want 1 1 0", sups[0].matched, sups[1].matched, sups[2].matched)
	}
}
