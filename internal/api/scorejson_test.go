package api

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

func sameAsEncodingJSON(t *testing.T, r *scoreResult) {
	t.Helper()
	want, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.appendJSON(nil); !bytes.Equal(got, want) {
		t.Errorf("appendJSON differs from encoding/json:\n got %s\nwant %s", got, want)
	}
}

func TestScoreResultJSON(t *testing.T) {
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 1e-6, 9.99e-7, 1e-7, 1.5e-10, 1e20, 1e21, 1.2345e22,
		-3.4e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 123456789.125, 0.1 + 0.2, 5e-324}
	texts := []string{"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\r\b\f\x00\x1f\x7f",
		"ünïcödé €", "\u2028\u2029", "bad \xff utf8 \xc3", "amount 5.2x the customer's 30-day mean", "\U0001F600"}
	for i, f := range floats {
		s := texts[i%len(texts)]
		sameAsEncodingJSON(t, &scoreResult{Decision: fraud.Review, Score: f, ModelVersion: s, RulesVersion: s,
			DecisionID: s, TransactionID: s, LatencyMicros: int64(i) * -7, Replayed: i%2 == 0,
			Reasons:  []fraud.Reason{{Feature: s, Value: f, Contribution: -f, Text: s}, {}},
			RuleHits: []fraud.RuleHit{{Rule: s, Action: s, Reason: s}}})
	}
	sameAsEncodingJSON(t, &scoreResult{})
	sameAsEncodingJSON(t, &scoreResult{Reasons: []fraud.Reason{}, RuleHits: []fraud.RuleHit{}})
}

func FuzzScoreResultJSON(f *testing.F) {
	f.Add("amount 5.2x the customer's 30-day mean", 0.8125, -1.5e-9, int64(850), true)
	f.Add("<&>\u2028\xff", 1e21, 0.0, int64(-1), false)
	f.Fuzz(func(t *testing.T, s string, a, b float64, n int64, replayed bool) {
		r := &scoreResult{Decision: fraud.Outcome(s), Score: finite(a), ModelVersion: s, DecisionID: s,
			LatencyMicros: n, Replayed: replayed,
			Reasons:  []fraud.Reason{{Feature: s, Value: finite(b), Contribution: finite(a * b), Text: s}},
			RuleHits: []fraud.RuleHit{{Rule: s, Action: s, Reason: s}}}
		sameAsEncodingJSON(t, r)
	})
}
