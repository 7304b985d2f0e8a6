package rules

import (
	"strconv"
	"testing"

	"github.com/vigil-fraud/vigil/internal/feature"
)

// BenchmarkEvaluate runs the default rule set on one ordinary transaction, with lists of
// 10,000 blocked cards and terminals, reusing the Result as the scoring path does.
func BenchmarkEvaluate(b *testing.B) {
	rs, err := Default(Options{})
	if err != nil {
		b.Fatal(err)
	}
	cards, terminals := make([]string, 10_000), make([]string, 10_000)
	for i := range cards {
		cards[i], terminals[i] = "card_b"+strconv.Itoa(i), "term_b"+strconv.Itoa(i)
	}
	lists := NewLists(map[string][]string{"blocked_cards": cards, "blocked_terminals": terminals})
	f := make([]float64, feature.NumFeatures)
	f[feature.CustomerTxCount30d] = 40
	f[feature.CustomerAmountRatio30d] = 1.3
	f[feature.CustomerSmallTxCount1h] = 1
	f[feature.Night] = 1
	in := Input{Transaction: testTxn(), Features: f, Score: 0.12, Lists: lists}
	var res Result
	b.ReportAllocs()
	for b.Loop() {
		rs.EvaluateInto(in, &res)
	}
	if len(res.Errors) != 0 || len(res.Hits) != 1 {
		b.Fatalf("hits %v errors %v, want the night tag only", hitNames(res), res.Errors)
	}
}
