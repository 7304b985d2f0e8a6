package main

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// maxSuppressionLife bounds how far ahead a suppression may expire: every accepted finding is
// looked at again at least once a year.
const maxSuppressionLife = 366 * 24 * time.Hour

// minReasonLength keeps "ok" and "fp" out of the reason column: a reviewer reading the file a
// year later must understand why the finding was accepted.
const minReasonLength = 20

// Suppression accepts one kind of finding, in some places, until a date. It is one line of
// security/suppressions.txt:
//
//	tool | rule | path | expires | reviewer | reason
//
// tool is the scanner ("gosec", "tfsec", ...); rule is its rule id (or an alias such as tfsec's
// AVD id); path is a file path relative to the scanned tree, a path.Match pattern, or a
// directory ending in "/" (for dependency findings: the module or library path); expires is
// YYYY-MM-DD, the last day the suppression applies; reviewer names who accepted it.
type Suppression struct {
	Tool     string
	Rule     string
	Path     string
	Expires  time.Time // the last day it applies (UTC midnight)
	Reviewer string
	Reason   string
	Line     int // line number in the file

	matched int // findings it suppressed (or, once expired, would have)
}

// ExpiresText is the expiry date as written.
func (s *Suppression) ExpiresText() string { return s.Expires.Format(time.DateOnly) }

// activeOn reports whether the suppression still applies on the given day.
func (s *Suppression) activeOn(today time.Time) bool { return !truncateDay(today).After(s.Expires) }

func truncateDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// matches reports whether the suppression covers the finding, whatever its expiry.
func (s *Suppression) matches(f Finding) bool {
	if s.Tool != f.Tool {
		return false
	}
	ruleOK := s.Rule == f.Rule
	for _, a := range f.Aliases {
		ruleOK = ruleOK || s.Rule == a
	}
	if !ruleOK {
		return false
	}
	if strings.HasSuffix(s.Path, "/") {
		return strings.HasPrefix(f.Path, s.Path)
	}
	if s.Path == f.Path {
		return true
	}
	ok, err := path.Match(s.Path, f.Path)
	return err == nil && ok
}

// readSuppressions parses a suppression file. Any malformed line is an error naming the line:
// a suppression that silently failed to parse would leave a finding blocking the build, and
// one that parsed wrongly could hide more than it was reviewed for.
func readSuppressions(r io.Reader, today time.Time) ([]*Suppression, error) {
	var out []*Suppression
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseSuppression(line, today)
		if err != nil {
			return nil, fmt.Errorf("suppressions line %d: %w", n, err)
		}
		s.Line = n
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read suppressions: %w", err)
	}
	return out, nil
}

func parseSuppression(line string, today time.Time) (*Suppression, error) {
	f := strings.Split(line, "|")
	if len(f) != 6 {
		return nil, fmt.Errorf("want 6 fields separated by |, got %d", len(f))
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	s := &Suppression{Tool: f[0], Rule: f[1], Path: f[2], Reviewer: f[4], Reason: f[5]}
	switch {
	case s.Tool == "" || strings.ContainsAny(s.Tool, " \t"):
		return nil, fmt.Errorf("tool %q: want one word, such as gosec", s.Tool)
	case s.Rule == "" || strings.ContainsAny(s.Rule, "*? \t"):
		return nil, fmt.Errorf("rule %q: want one exact rule id (no wildcards)", s.Rule)
	case s.Path == "":
		return nil, fmt.Errorf("path is empty: name the file, pattern or directory/ it applies to")
	case s.Reviewer == "":
		return nil, fmt.Errorf("reviewer is empty: name who accepted the finding")
	case len(s.Reason) < minReasonLength:
		return nil, fmt.Errorf("reason %q: say why the finding is accepted (at least %d characters)", s.Reason, minReasonLength)
	}
	if _, err := path.Match(s.Path, ""); err != nil {
		return nil, fmt.Errorf("path %q: %w", s.Path, err)
	}
	exp, err := time.Parse(time.DateOnly, f[3])
	if err != nil {
		return nil, fmt.Errorf("expires %q: want YYYY-MM-DD", f[3])
	}
	if exp.Sub(truncateDay(today)) > maxSuppressionLife {
		return nil, fmt.Errorf("expires %s: more than a year ahead; review accepted findings at least yearly", f[3])
	}
	s.Expires = exp
	return s, nil
}

// applySuppressions marks each finding covered by an active suppression as suppressed, and
// each finding covered only by an expired one as such (it stays unsuppressed).
func applySuppressions(checks []*Check, sups []*Suppression, today time.Time) {
	for _, c := range checks {
		for i := range c.Findings {
			f := &c.Findings[i]
			for _, s := range sups {
				if !s.matches(*f) {
					continue
				}
				s.matched++
				if s.activeOn(today) {
					f.Suppressed = s
					f.Expired = nil
					break
				}
				f.Expired = s
			}
		}
	}
}
