package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Manifest is what security-scan.sh recorded about one scan: facts about the run (meta) and
// one entry per check, in the order they ran.
//
// The file is tab-separated, one record a line:
//
//	meta   KEY  VALUE
//	check  NAME TOOL STATUS VERSION FORMAT REPORT SECONDS NOTE
//
// Empty lines and lines starting with # are ignored.
type Manifest struct {
	Meta   map[string]string
	Keys   []string // meta keys in the order they were written
	Checks []*Check
}

// readManifest parses a manifest. It always returns a non-nil error for a malformed line,
// naming the line, because a misread manifest could hide a check that did not run.
func readManifest(r io.Reader) (*Manifest, error) {
	m := &Manifest{Meta: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		switch fields[0] {
		case "meta":
			if len(fields) != 3 {
				return nil, fmt.Errorf("manifest line %d: meta wants 3 fields, has %d", n, len(fields))
			}
			if _, seen := m.Meta[fields[1]]; !seen {
				m.Keys = append(m.Keys, fields[1])
			}
			m.Meta[fields[1]] = fields[2]
		case "check":
			if len(fields) != 9 {
				return nil, fmt.Errorf("manifest line %d: check wants 9 fields, has %d", n, len(fields))
			}
			c := &Check{
				Name:    fields[1],
				Tool:    fields[2],
				Status:  Status(fields[3]),
				Version: fields[4],
				Format:  fields[5],
				Report:  fields[6],
				Note:    fields[8],
			}
			switch c.Status {
			case StatusRan, StatusSkipped, StatusFailed:
			default:
				return nil, fmt.Errorf("manifest line %d: unknown status %q", n, c.Status)
			}
			if fields[7] != "" {
				s, err := strconv.ParseFloat(fields[7], 64)
				if err != nil {
					return nil, fmt.Errorf("manifest line %d: seconds: %w", n, err)
				}
				c.Seconds = s
			}
			m.Checks = append(m.Checks, c)
		default:
			return nil, fmt.Errorf("manifest line %d: unknown record %q", n, fields[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	return m, nil
}
