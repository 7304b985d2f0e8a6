package synth

import (
	"context"
	"testing"

	"github.com/vigil-fraud/vigil/internal/history"
)

// BenchmarkGenerate measures the simulator alone (no writer): 5,000 customers and 10,000
// terminals like the default dataset, over 10 days (about 97,000 records per run).
//
//	go test -run '^$' -bench Generate -benchmem ./internal/synth/
func BenchmarkGenerate(b *testing.B) {
	g := mustNew(b, Options{Days: 10, Seed: 1})
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		sum, err := g.Run(context.Background(), func(*history.Record) error { return nil }, nil)
		if err != nil {
			b.Fatal(err)
		}
		rows += sum.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(rows)/float64(b.N), "records/op")
}

// BenchmarkNew measures drawing the profiles and pairing customers with terminals.
func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		mustNew(b, Options{Days: 1, Seed: 1})
	}
}
