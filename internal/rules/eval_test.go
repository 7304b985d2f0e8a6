package rules

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/interpreter"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

func mustParse(t testing.TB, src string, opts Options) *RuleSet {
	t.Helper()
	rs, err := Parse([]byte(src), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return rs
}

func testTxn() *fraud.Transaction {
	return &fraud.Transaction{
		ID: "tx_1", Timestamp: time.Date(2018, 4, 1, 3, 15, 0, 0, time.UTC), Amount: 42.5, Currency: "EUR",
		CustomerID: "cus_1", TerminalID: "term_1", Card: "card_1", Channel: fraud.ChannelEcommerce,
		Country: "FR", DeviceID: "dev_1", Attributes: map[string]string{"risk": "low"},
	}
}

func hitNames(r Result) []string {
	var names []string
	for _, h := range r.Hits {
		names = append(names, h.Rule)
	}
	return names
}

// TestPrecedence checks each action's precedence: decline over approve over review over the
// score, tags never changing the outcome.
func TestPrecedence(t *testing.T) {
	// Each rule matches when its flag is in the transaction's attributes.
	src := header +
		rule("tag_it", `has(txn.attributes.tag)`, "tag") +
		rule("review_it", `has(txn.attributes.review)`, "review") +
		rule("approve_it", `has(txn.attributes.approve)`, "approve") +
		rule("decline_it", `has(txn.attributes.decline)`, "decline")
	rs := mustParse(t, src, testOptions())
	tests := []struct {
		flags []string
		score float64
		want  fraud.Outcome
	}{
		{nil, 0.1, fraud.Approve},
		{nil, 0.6, fraud.Review},
		{nil, 0.95, fraud.Decline},
		{[]string{"tag"}, 0.1, fraud.Approve},
		{[]string{"tag"}, 0.95, fraud.Decline},
		{[]string{"review"}, 0.1, fraud.Review},
		{[]string{"review"}, 0.95, fraud.Decline}, // review is a floor, not a ceiling
		{[]string{"approve"}, 0.95, fraud.Approve},
		{[]string{"approve", "review"}, 0.6, fraud.Approve},
		{[]string{"decline"}, 0.0, fraud.Decline},
		{[]string{"decline", "approve", "review", "tag"}, 0.0, fraud.Decline},
	}
	for _, tc := range tests {
		name := strings.Join(tc.flags, "+") + "@" + strconv.FormatFloat(tc.score, 'f', -1, 64)
		t.Run(name, func(t *testing.T) {
			tx := testTxn()
			tx.Attributes = map[string]string{}
			for _, f := range tc.flags {
				tx.Attributes[f] = "1"
			}
			res := rs.Evaluate(Input{Transaction: tx, Score: tc.score})
			if res.Outcome != tc.want {
				t.Errorf("outcome %s, want %s (hits %v)", res.Outcome, tc.want, hitNames(res))
			}
			if len(res.Hits) != len(tc.flags) || len(res.Errors) != 0 {
				t.Errorf("hits %v, errors %v; want one hit per flag %v", hitNames(res), res.Errors, tc.flags)
			}
			if !slices.IsSortedFunc(res.Hits, func(a, b fraud.RuleHit) int {
				return rs.index(a.Rule) - rs.index(b.Rule)
			}) {
				t.Errorf("hits %v not in file order", hitNames(res))
			}
			wantTags := slices.Contains(tc.flags, "tag")
			if got := slices.Equal(res.Tags, []string{"tag_it"}); got != wantTags {
				t.Errorf("tags %v", res.Tags)
			}
		})
	}
}

// index returns the position of the named rule, for ordering checks.
func (rs *RuleSet) index(name string) int {
	return slices.IndexFunc(rs.rules, func(r Rule) bool { return r.Name == name })
}

func TestThresholds(t *testing.T) {
	rs := mustParse(t, "version: 1\nthresholds: {review: 0.5, decline: 0.9}\n", Options{})
	tests := []struct {
		score float64
		want  fraud.Outcome
	}{
		{0, fraud.Approve}, {0.4999, fraud.Approve}, {0.5, fraud.Review}, {0.8999, fraud.Review},
		{0.9, fraud.Decline}, {1, fraud.Decline}, {math.NaN(), fraud.Review},
	}
	for _, tc := range tests {
		t.Run(strconv.FormatFloat(tc.score, 'f', -1, 64), func(t *testing.T) {
			res := rs.Evaluate(Input{Score: tc.score})
			if res.Outcome != tc.want || res.ScoreOutcome != tc.want {
				t.Errorf("outcome %s (score's %s), want %s", res.Outcome, res.ScoreOutcome, tc.want)
			}
		})
	}
}

func TestLists(t *testing.T) {
	src := header +
		rule("blocked", `txn.card in lists.blocked_cards`, "decline") +
		rule("trusted", `txn.customer_id in lists.trusted_customers`, "approve") +
		rule("has_terminals", `has(lists.blocked_terminals) && size(lists.blocked_terminals) > 1`, "tag") +
		rule("scanned", `lists.big.exists(p, txn.terminal_id.startsWith(p))`, "review")
	rs := mustParse(t, src, testOptions())
	tests := []struct {
		name  string
		lists map[string][]string
		want  []string
	}{
		{"no lists given", nil, nil},
		{"card blocked", map[string][]string{"blocked_cards": {"card_0", "card_1"}}, []string{"blocked"}},
		{"card not blocked", map[string][]string{"blocked_cards": {"card_0", "card_10"}}, nil},
		{"trusted", map[string][]string{"trusted_customers": {"cus_1"}}, []string{"trusted"}},
		{"size and presence", map[string][]string{"blocked_terminals": {"a", "b"}}, []string{"has_terminals"}},
		{"scan", map[string][]string{"big": {"x", "term_"}}, []string{"scanned"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lists *Lists
			if tc.lists != nil {
				lists = NewLists(tc.lists)
			}
			res := rs.Evaluate(Input{Transaction: testTxn(), Lists: lists})
			if got := hitNames(res); !slices.Equal(got, tc.want) || len(res.Errors) != 0 {
				t.Errorf("hits %v errors %v, want %v", got, res.Errors, tc.want)
			}
		})
	}
}

// TestListMembershipCost checks membership in a large list is charged as a lookup, so a
// block list of any size stays far under the cost limit.
func TestListMembershipCost(t *testing.T) {
	opts := testOptions()
	opts.CostLimit = 50
	// The scan of an empty list makes the rule cost-tracked; the membership test must not
	// be charged by the size of the block list.
	rs := mustParse(t, header+rule("blocked",
		`txn.card in lists.blocked_cards && !lists.trusted_customers.exists(c, c == txn.customer_id)`, "decline"), opts)
	entries := make([]string, 200_000)
	for i := range entries {
		entries[i] = "card_" + strconv.Itoa(i+2)
	}
	entries = append(entries, "card_1")
	res := rs.Evaluate(Input{Transaction: testTxn(), Lists: NewLists(map[string][]string{"blocked_cards": entries})})
	if res.Outcome != fraud.Decline || len(res.Errors) != 0 {
		t.Errorf("outcome %s errors %v, want decline", res.Outcome, res.Errors)
	}
}

// TestCostLimit checks an expensive expression is stopped with an error rather than run.
func TestCostLimit(t *testing.T) {
	opts := testOptions()
	opts.CostLimit = 10_000
	rs := mustParse(t, header+
		rule("expensive", `lists.big.exists(x, lists.big.exists(y, x + y == txn.card))`, "decline")+
		rule("cheap", `txn.amount > 1.0`, "review"),
		Options{ListNames: opts.ListNames, CostLimit: opts.CostLimit, MaxEstimatedCost: math.MaxUint64})
	entries := make([]string, 5_000)
	for i := range entries {
		entries[i] = strconv.Itoa(i)
	}
	done := make(chan Result, 1)
	go func() {
		done <- rs.Evaluate(Input{Transaction: testTxn(), Lists: NewLists(map[string][]string{"big": entries})})
	}()
	var res Result
	select {
	case res = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the cost limit did not stop the expression")
	}
	if len(res.Errors) != 1 || res.Errors[0].Rule != "expensive" {
		t.Fatalf("errors %v, want one for the expensive rule", res.Errors)
	}
	var cancelled interpreter.EvalCancelledError
	if !errors.As(res.Errors[0], &cancelled) || cancelled.Cause != interpreter.CostLimitExceeded ||
		res.Errors[0].Error() != "rule expensive: cost limit exceeded" {
		t.Errorf("error %v is not the cost limit", res.Errors[0])
	}
	if res.Outcome != fraud.Review || !slices.Equal(hitNames(res), []string{"cheap"}) {
		t.Errorf("outcome %s hits %v: the expensive rule must not match, the others still run", res.Outcome, hitNames(res))
	}
}

// TestEvaluationErrors checks a failing rule does not match, is reported, and does not stop
// the others.
func TestEvaluationErrors(t *testing.T) {
	src := header +
		rule("missing_key", `txn.attributes["absent"] == "x"`, "decline") +
		rule("division", `txn.amount / 0.0 > 1.0 && 1 / (size(txn.id) - 4) > 0`, "decline") +
		rule("bad_int", `int(txn.attributes.risk) > 3`, "decline") +
		rule("overflow", `9223372036854775807 + size(txn.id) > 0`, "decline") +
		rule("regex", `txn.id.matches(txn.attributes.risk + "[")`, "decline") +
		rule("ok", `txn.amount > 1.0`, "tag")
	rs := mustParse(t, src, testOptions())
	res := rs.Evaluate(Input{Transaction: testTxn()})
	var failed []string
	for _, e := range res.Errors {
		failed = append(failed, e.Rule)
		if e.Error() != "rule "+e.Rule+": evaluation failed" || e.Err == nil {
			t.Errorf("error %q (cause %v): want the rule named and the cause kept apart", e.Error(), e.Err)
		}
	}
	if want := []string{"missing_key", "division", "bad_int", "overflow", "regex"}; !slices.Equal(failed, want) {
		t.Errorf("failed rules %v, want %v", failed, want)
	}
	if res.Outcome != fraud.Approve || !slices.Equal(hitNames(res), []string{"ok"}) {
		t.Errorf("outcome %s hits %v, want approve with only ok", res.Outcome, hitNames(res))
	}
}

// TestMissingInputs checks a nil transaction, a short feature vector and NaN features neither
// panic nor match.
func TestMissingInputs(t *testing.T) {
	src := header +
		rule("amount", `txn.amount == 0.0 && !has(txn.card) && !has(txn.timestamp) && !has(txn.attributes)`, "tag") +
		rule("feature", `features.customer_tx_count_1h >= 0.0`, "review") +
		rule("nan", `features.customer_amount_ratio_30d >= 0.0 || features.customer_amount_ratio_30d < 0.0`, "review")
	rs := mustParse(t, src, testOptions())
	res := rs.Evaluate(Input{Features: []float64{1, 2}})
	if !slices.Equal(hitNames(res), []string{"amount"}) || len(res.Errors) != 2 {
		t.Errorf("hits %v errors %v; want amount to match and the features not computed to fail", hitNames(res), res.Errors)
	}
	f := make([]float64, feature.NumFeatures)
	f[feature.CustomerAmountRatio30d] = math.NaN()
	res = rs.Evaluate(Input{Features: f})
	if !slices.Equal(hitNames(res), []string{"amount", "feature"}) || len(res.Errors) != 0 {
		t.Errorf("hits %v errors %v; want NaN never to match", hitNames(res), res.Errors)
	}
}

// TestDefaultRules runs the default set on the scenarios it was written for.
func TestDefaultRules(t *testing.T) {
	rs, err := Default(Options{})
	if err != nil {
		t.Fatal(err)
	}
	lists := NewLists(map[string][]string{"blocked_cards": {"card_stolen"}, "blocked_terminals": {"term_bad"}})
	base := func() []float64 {
		f := make([]float64, feature.NumFeatures)
		f[feature.CustomerTxCount30d] = 40
		f[feature.CustomerAmountRatio30d] = 1
		f[feature.CustomerTravelSeconds] = math.NaN()
		return f
	}
	tests := []struct {
		name  string
		edit  func(tx *fraud.Transaction, f []float64)
		score float64
		want  fraud.Outcome
		hits  []string
	}{
		{"ordinary", func(*fraud.Transaction, []float64) {}, 0.01, fraud.Approve, nil},
		{"model says decline", func(*fraud.Transaction, []float64) {}, 0.95, fraud.Decline, nil},
		{"blocked card", func(tx *fraud.Transaction, _ []float64) { tx.Card = "card_stolen" }, 0.01, fraud.Decline,
			[]string{"blocked_card"}},
		{"blocked terminal", func(tx *fraud.Transaction, _ []float64) { tx.TerminalID = "term_bad" }, 0.01, fraud.Decline,
			[]string{"blocked_terminal"}},
		{"no card is not blocked", func(tx *fraud.Transaction, _ []float64) { tx.Card = "" }, 0.01, fraud.Approve, nil},
		{"card testing", func(tx *fraud.Transaction, f []float64) {
			tx.Amount = 1.5
			f[feature.CustomerSmallTxCount1h] = 3
		}, 0.05, fraud.Review, []string{"card_testing"}},
		{"cash out", func(tx *fraud.Transaction, f []float64) {
			tx.Amount = 450
			f[feature.CustomerSmallTxCount1h] = 4
		}, 0.3, fraud.Review, []string{"card_testing", "cash_out_after_testing"}},
		{"takeover", func(tx *fraud.Transaction, f []float64) {
			f[feature.CustomerNewDevice] = 1
			f[feature.CustomerAmountRatio30d] = 5
		}, 0.2, fraud.Review, []string{"new_device_high_amount"}},
		{"new device, usual amount", func(tx *fraud.Transaction, f []float64) { f[feature.CustomerNewDevice] = 1 },
			0.01, fraud.Approve, nil},
		{"impossible travel", func(tx *fraud.Transaction, f []float64) {
			f[feature.CustomerCountryChanged] = 1
			f[feature.CustomerTravelSeconds] = 1200
		}, 0.01, fraud.Review, []string{"impossible_travel"}},
		{"night, first payment", func(tx *fraud.Transaction, f []float64) {
			f[feature.Night] = 1
			f[feature.CustomerTxCount30d] = 1
		}, 0.01, fraud.Approve, []string{"night_time", "first_payment"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, f := testTxn(), base()
			tc.edit(tx, f)
			res := rs.Evaluate(Input{Transaction: tx, Features: f, Score: tc.score, Lists: lists})
			if res.Outcome != tc.want || !slices.Equal(hitNames(res), tc.hits) || len(res.Errors) != 0 {
				t.Errorf("outcome %s hits %v errors %v; want %s %v", res.Outcome, hitNames(res), res.Errors, tc.want, tc.hits)
			}
		})
	}
}

// TestEvaluateConcurrently shares one set between goroutines (run with -race).
func TestEvaluateConcurrently(t *testing.T) {
	rs, err := Default(Options{})
	if err != nil {
		t.Fatal(err)
	}
	lists := NewLists(map[string][]string{"blocked_cards": {"card_1"}})
	done := make(chan fraud.Outcome)
	for i := range 8 {
		go func() {
			f := make([]float64, feature.NumFeatures)
			f[feature.CustomerSmallTxCount1h] = float64(i)
			var res Result
			for range 200 {
				rs.EvaluateInto(Input{Transaction: testTxn(), Features: f, Lists: lists}, &res)
			}
			done <- res.Outcome
		}()
	}
	for range 8 {
		if got := <-done; got != fraud.Decline {
			t.Errorf("outcome %s, want decline", got)
		}
	}
}

// TestOddExpressions evaluates expressions that type-check but use the variables in ways the
// engine does not serve (as values, through dyn): they may fail, never panic.
func TestOddExpressions(t *testing.T) {
	exprs := []string{
		`txn == txn`, `type(txn) == type(features)`, `[txn].size() == 1`, `{"a": features}.size() == 1`,
		`lists == lists`, `dyn(features).night == 1.0`, `dyn(txn).amount > 1.0`, `string(txn.timestamp) != ""`,
		`has(features.night) && has(lists.big) && has(txn.ip)`, `txn.timestamp.getHours("Europe/Paris") >= 0`,
		`size(lists.big.filter(x, x.startsWith("a"))) > 0`, `lists.big.all(x, x in lists.big)`,
	}
	for _, e := range exprs {
		t.Run(e, func(t *testing.T) {
			src := header + "  - name: odd\n    when: '" + strings.ReplaceAll(e, "'", "''") + "'\n    action: tag\n    reason: r\n"
			rs, err := Parse([]byte(src), testOptions())
			if err != nil {
				t.Logf("refused: %v", err)
				return
			}
			f := make([]float64, feature.NumFeatures)
			f[feature.Amount] = 4242.5
			res := rs.Evaluate(Input{Transaction: testTxn(), Features: f,
				Lists: NewLists(map[string][]string{"big": {"a", "b"}})})
			for _, err := range res.Errors {
				if msg := err.Error(); strings.Contains(msg, "4242") || strings.Contains(msg, "tx_1") ||
					strings.Contains(msg, "0x") {
					t.Errorf("error %q holds an input value or address", msg)
				}
			}
			t.Logf("hits %v errors %v", hitNames(res), res.Errors)
		})
	}
}

// TestCostTracking checks which rules are cost-tracked at runtime: every rule whose cost
// grows with a list's size, and none of the default set, whose rules are proven cheap.
func TestCostTracking(t *testing.T) {
	rs, err := Default(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs.rules {
		if rs.tracked[i] {
			t.Errorf("default rule %s is cost-tracked", r.Name)
		}
	}
	tests := []struct {
		when    string
		tracked bool
	}{
		{`txn.card in lists.blocked_cards`, false},
		{`txn.amount > 100.0 && score < 0.2`, false},
		{`[1, 2, 3].exists(x, x > 2)`, false},
		{`lists.big.exists(x, x == txn.card)`, true},
		{`size(lists.big.filter(x, txn.card.startsWith(x))) > 0`, true},
		{`lists.big.size() > 3`, false},
	}
	for _, tc := range tests {
		t.Run(tc.when, func(t *testing.T) {
			rs := mustParse(t, header+rule("r", "'"+strings.ReplaceAll(tc.when, "'", "''")+"'", "tag"), testOptions())
			if rs.tracked[0] != tc.tracked {
				t.Errorf("tracked = %v, want %v", rs.tracked[0], tc.tracked)
			}
		})
	}
}

// scanCounter counts the scans a list's own Contains makes.
type scanCounter struct {
	traits.Lister
	scans *int
}

func (c scanCounter) Contains(v ref.Val) ref.Val { *c.scans++; return c.Lister.Contains(v) }

// TestMembershipNeverScans: `x in lists.NAME` is charged one unit, so it must never scan,
// whatever x's type: a non-string answers false at once. Otherwise a rule could do
// quadratic work within the cost limit (the honest spelling, nested exists, is refused).
func TestMembershipNeverScans(t *testing.T) {
	opts := testOptions()
	if _, err := Parse([]byte(header+rule("nested",
		`'lists.big.exists(x, lists.big.exists(y, y == dyn(1)))'`, "tag")), opts); err == nil {
		t.Fatal("control: a nested scan was accepted")
	}
	rs, err := Parse([]byte(header+rule("sneaky", `'lists.big.exists(x, dyn(1) in lists.big) || dyn(2.5) in lists.big || dyn(lists.big) in lists.big'`, "tag")), opts)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	entries := make([]string, 2_000)
	for i := range entries {
		entries[i] = "e" + strconv.Itoa(i)
	}
	lists := NewLists(map[string][]string{"big": entries})
	scans := 0
	lists.byName["big"].Lister = scanCounter{lists.byName["big"].Lister, &scans}
	res := rs.Evaluate(Input{Transaction: testTxn(), Lists: lists})
	if scans > 0 {
		t.Errorf("%d scans of a %d-entry list for membership tests charged one unit each", scans, len(entries))
	}
	if len(res.Errors) != 0 || len(res.Hits) != 0 {
		t.Errorf("hits %v errors %v, want none (nothing non-string is in a list of strings)", res.Hits, res.Errors)
	}
}
