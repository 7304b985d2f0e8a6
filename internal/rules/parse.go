package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// file is a decoded rule file before its expressions are compiled.
type file struct {
	thresholds Thresholds
	rules      []fileRule
}

// fileRule is a rule with where its expression starts in the file.
type fileRule struct {
	Rule
	whenLine  int // the line of the `when` value
	whenBlock int // 1 when the value is a block scalar (| or >), whose text starts a line later
}

// ruleName is what a rule name may look like: short, and safe to log and to put in a metric.
var ruleName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// errorList collects the problems of a file as fraud.FieldErrors whose reason starts with
// the line ("line 12: ...").
type errorList struct{ fields []fraud.FieldError }

func (e *errorList) add(path string, line int, reason string) {
	if line > 0 {
		reason = "line " + strconv.Itoa(line) + ": " + reason
	}
	e.fields = append(e.fields, fraud.FieldError{Path: path, Reason: reason})
}

func (e *errorList) orNil() error {
	if len(e.fields) == 0 {
		return nil
	}
	return &fraud.ValidationError{Fields: e.fields}
}

// decodeFile reads the YAML structure of a rule file, refusing unknown fields, aliases and
// every value out of range. It reports all the problems it finds, not only the first.
func decodeFile(src []byte) (*file, error) {
	var errs errorList
	if len(src) > MaxFileBytes {
		errs.add("", 0, fmt.Sprintf("the file has %d bytes, more than %d", len(src), MaxFileBytes))
		return nil, errs.orNil()
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc, next yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			errs.add("", 0, "the file is empty")
		} else {
			errs.add("", 0, "not YAML: "+err.Error())
		}
		return nil, errs.orNil()
	}
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		// A second document would be ignored silently; a rule author means one set.
		errs.add("", next.Line, "more than one YAML document")
		return nil, errs.orNil()
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		errs.add("", 0, "the file is empty")
		return nil, errs.orNil()
	}
	root := doc.Content[0]
	if !isMapping(root, "", &errs) {
		return nil, errs.orNil()
	}
	f := &file{}
	var seenVersion, seenThresholds bool
	forEachField(root, "", &errs, func(key string, v *yaml.Node) {
		switch key {
		case "version":
			seenVersion = true
			if v.Kind != yaml.ScalarNode || v.Value != "1" {
				errs.add("version", v.Line, "must be 1")
			}
		case "thresholds":
			seenThresholds = true
			f.thresholds = decodeThresholds(v, &errs)
		case "rules":
			f.rules = decodeRules(v, &errs)
		default:
			errs.add(key, v.Line, "unknown field")
		}
	})
	if !seenVersion {
		errs.add("version", root.Line, "is required")
	}
	if !seenThresholds {
		errs.add("thresholds", root.Line, "is required")
	}
	if err := errs.orNil(); err != nil {
		return nil, err
	}
	return f, nil
}

func decodeThresholds(n *yaml.Node, errs *errorList) Thresholds {
	t := Thresholds{Review: math.NaN(), Decline: math.NaN()}
	if !isMapping(n, "thresholds", errs) {
		return t
	}
	forEachField(n, "thresholds", errs, func(key string, v *yaml.Node) {
		path := "thresholds." + key
		var dst *float64
		switch key {
		case "review":
			dst = &t.Review
		case "decline":
			dst = &t.Decline
		default:
			errs.add(path, v.Line, "unknown field")
			return
		}
		x, ok := number(v)
		if !ok || x < 0 || x > 1 {
			errs.add(path, v.Line, "must be a number in [0, 1]")
			return
		}
		*dst = x
	})
	switch {
	case math.IsNaN(t.Review):
		errs.add("thresholds.review", n.Line, "is required")
	case math.IsNaN(t.Decline):
		errs.add("thresholds.decline", n.Line, "is required")
	case t.Review > t.Decline:
		errs.add("thresholds", n.Line, "review must not be above decline")
	}
	return t
}

func decodeRules(n *yaml.Node, errs *errorList) []fileRule {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // "rules:" with nothing after it
	}
	if n.Kind != yaml.SequenceNode {
		errs.add("rules", n.Line, "must be a list")
		return nil
	}
	if len(n.Content) > MaxRules {
		errs.add("rules", n.Line, fmt.Sprintf("%d rules, more than %d", len(n.Content), MaxRules))
		return nil
	}
	rules := make([]fileRule, 0, len(n.Content))
	first := make(map[string]int, len(n.Content))
	for i, rn := range n.Content {
		prefix := fmt.Sprintf("rules[%d]", i)
		r := fileRule{Rule: Rule{Line: rn.Line}}
		if !isMapping(rn, prefix, errs) {
			rules = append(rules, r)
			continue
		}
		lines := map[string]int{}
		forEachField(rn, prefix, errs, func(key string, v *yaml.Node) {
			path := prefix + "." + key
			var dst *string
			switch key {
			case "name":
				dst = &r.Name
			case "when":
				dst = &r.When
				r.whenLine = v.Line
				if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
					r.whenBlock = 1
				}
			case "action":
				dst = (*string)(&r.Action)
			case "reason":
				dst = &r.Reason
			default:
				errs.add(path, v.Line, "unknown field")
				return
			}
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				errs.add(path, v.Line, "must be a string")
				return
			}
			*dst = v.Value
			lines[key] = v.Line
		})
		line := func(key string) int {
			if l, ok := lines[key]; ok {
				return l
			}
			return rn.Line
		}
		switch {
		case r.Name == "":
			errs.add(prefix+".name", line("name"), "is required")
		case len(r.Name) > MaxNameBytes || !ruleName.MatchString(r.Name):
			errs.add(prefix+".name", line("name"), fmt.Sprintf(
				"must start with a letter and hold only letters, digits, '_', '.' and '-', at most %d", MaxNameBytes))
		default:
			if j, dup := first[r.Name]; dup {
				errs.add(prefix+".name", line("name"), fmt.Sprintf("duplicates the name of rules[%d]", j))
			} else {
				first[r.Name] = i
			}
		}
		switch {
		case strings.TrimSpace(r.When) == "":
			errs.add(prefix+".when", line("when"), "is required")
		case len(r.When) > MaxExpressionBytes:
			errs.add(prefix+".when", line("when"), fmt.Sprintf("longer than %d bytes", MaxExpressionBytes))
		}
		if !r.Action.valid() {
			errs.add(prefix+".action", line("action"), "must be one of decline, review, approve, tag")
		}
		switch {
		case strings.TrimSpace(r.Reason) == "":
			errs.add(prefix+".reason", line("reason"), "is required")
		case len(r.Reason) > MaxReasonBytes:
			errs.add(prefix+".reason", line("reason"), fmt.Sprintf("longer than %d bytes", MaxReasonBytes))
		}
		rules = append(rules, r)
	}
	return rules
}

// isMapping reports whether n is a mapping, and records an error at path if it is not.
func isMapping(n *yaml.Node, path string, errs *errorList) bool {
	if n.Kind == yaml.MappingNode {
		return true
	}
	what := "must be a mapping"
	if n.Kind == yaml.AliasNode {
		what = "aliases are not allowed"
	}
	errs.add(path, n.Line, what)
	return false
}

// forEachField calls fn for each key of a mapping, refusing non-string keys, repeated keys,
// aliases and merge keys.
func forEachField(n *yaml.Node, prefix string, errs *errorList, fn func(key string, v *yaml.Node)) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := k.Value
		if prefix != "" {
			path = prefix + "." + k.Value
		}
		switch {
		case k.Kind != yaml.ScalarNode || k.Tag == "!!merge":
			errs.add(prefix, k.Line, "keys must be plain names")
			continue
		case seen[k.Value]:
			errs.add(path, k.Line, "repeated")
			continue
		case v.Kind == yaml.AliasNode || k.Kind == yaml.AliasNode:
			errs.add(path, v.Line, "aliases are not allowed")
			continue
		}
		seen[k.Value] = true
		fn(k.Value, v)
	}
}

// number reads a scalar that YAML types as an int or a float.
func number(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, false
	}
	var x float64
	if err := n.Decode(&x); err != nil || math.IsNaN(x) {
		return 0, false
	}
	return x, true
}
