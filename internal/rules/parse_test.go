package rules

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// header is a valid start of a rule file; tests append rules to it.
const header = "version: 1\nthresholds: {review: 0.5, decline: 0.9}\nrules:\n"

// rule renders one rule of a file, its name on the first line.
func rule(name, when, action string) string {
	return fmt.Sprintf("  - name: %s\n    when: %s\n    action: %s\n    reason: because\n", name, when, action)
}

func testOptions() Options {
	return Options{ListNames: []string{"blocked_cards", "blocked_terminals", "trusted_customers", "big"}}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		src  string
		path string // the FieldError expected
		line string // "line N" expected in its reason; "" when the error has no line
		want string // a substring of its reason
	}{
		{"unknown top-level field", header + rule("a", "true", "tag") + "extra: 1\n",
			"extra", "line 8", "unknown field"},
		{"unknown rule field", header + rule("a", "true", "tag") + "    priority: 3\n",
			"rules[0].priority", "line 8", "unknown field"},
		{"duplicate name", header + rule("a", "true", "tag") + rule("a", "false", "tag"),
			"rules[1].name", "line 8", "duplicates the name of rules[0]"},
		{"empty name", header + rule(`""`, "true", "tag"),
			"rules[0].name", "line 4", "is required"},
		{"name with spaces", header + rule(`"a b"`, "true", "tag"),
			"rules[0].name", "line 4", "must start with a letter"},
		{"unknown action", header + rule("a", "true", "block"),
			"rules[0].action", "line 6", "must be one of"},
		{"missing reason", header + "  - name: a\n    when: 'true'\n    action: tag\n",
			"rules[0].reason", "line 4", "is required"},
		{"threshold above 1", "version: 1\nthresholds: {review: 0.5, decline: 1.5}\nrules: []\n",
			"thresholds.decline", "line 2", "[0, 1]"},
		{"threshold not a number", "version: 1\nthresholds: {review: high, decline: 0.9}\nrules: []\n",
			"thresholds.review", "line 2", "[0, 1]"},
		{"review above decline", "version: 1\nthresholds: {review: 0.9, decline: 0.5}\nrules: []\n",
			"thresholds", "line 2", "review must not be above decline"},
		{"missing thresholds", "version: 1\nrules: []\n",
			"thresholds", "line 1", "is required"},
		{"wrong version", "version: 2\nthresholds: {review: 0.5, decline: 0.9}\n",
			"version", "line 1", "must be 1"},
		{"not bool", header + rule("a", "txn.amount", "review"),
			"rules[0].when", "line 5", "must be a bool expression"},
		{"unknown feature", header + rule("a", "true", "tag") + rule("b", "features.customer_tx_count_1hh > 1.0", "review"),
			"rules[1].when", "line 9", "undefined field 'customer_tx_count_1hh'"},
		{"unknown transaction field", header + rule("a", "txn.pan == 'x'", "review"),
			"rules[0].when", "line 5", "undefined field 'pan'"},
		{"unknown list", header + rule("a", "txn.card in lists.blocked_ibans", "decline"),
			"rules[0].when", "line 5", "undefined field 'blocked_ibans'"},
		{"undeclared variable", header + rule("a", "customer.age > 3", "review"),
			"rules[0].when", "line 5", "undeclared reference"},
		{"syntax error", header + rule("a", "txn.amount >", "review"),
			"rules[0].when", "line 5", "Syntax error"},
		{"error on the second line of a block", header +
			"  - name: a\n    when: |\n      txn.amount > 1.0 &&\n      nope\n    action: review\n    reason: r\n",
			"rules[0].when", "line 7", "undeclared reference to 'nope'"},
		{"extension function", header + rule("a", `txn.card.lowerAscii() == "x"`, "review"),
			"rules[0].when", "line 5", "undeclared reference to 'lowerAscii'"},
		{"nested scan too expensive", header + rule("a", "lists.big.exists(x, lists.big.exists(y, x == y))", "review"),
			"rules[0].when", "line 5", "too expensive"},
		{"alias", "version: 1\nthresholds: &t {review: 0.5, decline: 0.9}\nother: *t\n",
			"other", "line 3", "aliases are not allowed"},
		{"not a mapping", "- 1\n- 2\n", "", "line 1", "must be a mapping"},
		{"not YAML", "version: [1\n", "", "", "not YAML"},
		{"empty", "", "", "", "the file is empty"},
		{"two documents", header + rule("a", "true", "tag") + "---\nversion: 1\n", "", "line 8", "more than one YAML document"},
		{"too many rules", header + strings.Repeat(rule("a", "true", "tag"), MaxRules+1),
			"rules", "line 4", "more than 500"},
		{"too big", header + "# " + strings.Repeat("x", MaxFileBytes) + "\n",
			"", "", "more than 1048576"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Parse([]byte(tc.src), testOptions())
			if err == nil {
				t.Fatalf("Parse accepted the file (version %s)", rs.Version())
			}
			if rs != nil {
				t.Errorf("Parse returned a set with an error")
			}
			if !errors.Is(err, fraud.ErrInvalid) {
				t.Errorf("error %v does not unwrap to fraud.ErrInvalid", err)
			}
			var verr *fraud.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("error %T is not a *fraud.ValidationError", err)
			}
			for _, f := range verr.Fields {
				if f.Path == tc.path && strings.Contains(f.Reason, tc.want) &&
					(tc.line == "" || strings.HasPrefix(f.Reason, tc.line+": ")) {
					return
				}
			}
			t.Errorf("no error %s: %s: ...%s...; got %v", tc.path, tc.line, tc.want, err)
		})
	}
}

// TestParseReportsEveryError checks a file with several bad rules names each of them, so a
// rule author fixes them in one round.
func TestParseReportsEveryError(t *testing.T) {
	src := header + rule("a", "nope", "review") + rule("b", "true", "tag") + rule("c", "1.0", "explode")
	_, err := Parse([]byte(src), testOptions())
	var verr *fraud.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("got %v, want a *fraud.ValidationError", err)
	}
	got := map[string]bool{}
	for _, f := range verr.Fields {
		got[f.Path] = true
	}
	for _, p := range []string{"rules[2].action"} {
		if !got[p] {
			t.Errorf("no error at %s in %v", p, err)
		}
	}
	// The structure is checked before the expressions: a structural error stops compilation.
	if got["rules[0].when"] {
		t.Logf("expressions compiled despite a structural error: %v", err)
	}
	src = header + rule("a", "nope", "review") + rule("b", "true", "tag") + rule("c", "1.0", "tag")
	_, err = Parse([]byte(src), testOptions())
	if !errors.As(err, &verr) || len(verr.Fields) != 2 ||
		verr.Fields[0].Path != "rules[0].when" || verr.Fields[1].Path != "rules[2].when" {
		t.Errorf("got %v, want errors at rules[0].when and rules[2].when", err)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"no rules", "version: 1\nthresholds: {review: 0.5, decline: 0.9}\n"},
		{"empty rule list", "version: 1\nthresholds: {review: 0, decline: 1}\nrules: []\n"},
		{"equal thresholds", "version: 1\nthresholds: {review: 0.7, decline: 0.7}\n"},
		{"every variable", header + rule("a",
			`txn.amount > 10.0 && txn.currency == "EUR" && has(txn.device_id) && `+
				`txn.attributes["k"] == "v" && txn.timestamp.getHours() < 6 && `+
				`features.night == 1.0 && score > 0.2 && txn.customer_id in lists.trusted_customers`, "approve")},
		{"block scalar", header + "  - name: a\n    when: >-\n      score > 0.1 &&\n      score < 0.2\n    action: tag\n    reason: r\n"},
		{"one scan of a list", header + rule("a", `lists.big.exists(x, txn.card.startsWith(x))`, "review")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.src), testOptions()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	rs, err := Default(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rs.Version(), Version(DefaultSource()); got != want || len(got) != len("rs-")+12 {
		t.Errorf("Version() = %q, want %q (rs- and 12 hex digits)", got, want)
	}
	if string(rs.Source()) != string(DefaultSource()) {
		t.Error("Source() is not the file's bytes")
	}
	if got := rs.Thresholds(); got != (Thresholds{Review: 0.5, Decline: 0.9}) {
		t.Errorf("Thresholds() = %+v", got)
	}
	if len(rs.Rules()) < 5 {
		t.Errorf("the default set has %d rules", len(rs.Rules()))
	}
	// The default set needs its lists declared.
	if _, err := Default(Options{ListNames: []string{"other"}}); err == nil {
		t.Error("Default accepted options without its lists")
	}
}

func TestParseOptionsErrors(t *testing.T) {
	_, err := Parse([]byte(header), Options{ListNames: []string{"a", "a"}})
	if err == nil || errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("got %v, want an options error that is not ErrInvalid", err)
	}
}
