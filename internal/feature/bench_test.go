package feature_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
	"github.com/vigil-fraud/vigil/internal/feature/window"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
	"github.com/vigil-fraud/vigil/internal/state/memory"
)

// warmed returns an engine whose state holds 28 days of the handbook's default population
// (5,000 customers, 10,000 terminals, about 2 transactions a customer a day, labels fed),
// and the next 7 days of transactions to score.
func warmed(b *testing.B, opts memory.Options) (*feature.Engine, []history.Record) {
	b.Helper()
	recs := featuretest.Generate(featuretest.Options{Seed: 1, Customers: 5000, Terminals: 10000, Days: 35, Extras: true})
	split := len(recs) * 28 / 35
	st, err := memory.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	e, err := feature.New(feature.Options{State: st})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := feature.Replay(context.Background(), featuretest.NewReader(recs[:split]), e, feature.ReplayOptions{},
		func(*history.Record, []float64) error { return nil }); err != nil {
		b.Fatal(err)
	}
	return e, recs[split:]
}

// benchmarkScore measures Compute (+ Update) of one transaction on a warmed state. When the
// 7 days of transactions run out they are replayed a week later when updating, so the state
// keeps moving forward as in production (Compute alone leaves the state as it is).
func benchmarkScore(b *testing.B, opts memory.Options, update bool) {
	e, next := warmed(b, opts)
	if !update {
		// Without updates the state stays at day 28: score only the next day's transactions,
		// so the windows hold what they would in production.
		end := next[0].Timestamp.Add(24 * time.Hour)
		k := 0
		for k < len(next) && next[k].Timestamp.Before(end) {
			k++
		}
		next = next[:k]
	}
	ctx := context.Background()
	out := make([]float64, feature.NumFeatures)
	var tx fraud.Transaction
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(next)
		tx = next[k].Transaction
		if shift := i / len(next); shift > 0 && update {
			tx.Timestamp = tx.Timestamp.Add(time.Duration(shift) * 7 * 24 * time.Hour)
		}
		if err := e.Compute(ctx, &tx, out); err != nil {
			b.Fatal(err)
		}
		if update {
			if err := e.Update(ctx, &tx); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkFeatures is Compute + Update of one transaction, state in memory only.
func BenchmarkFeatures(b *testing.B) { benchmarkScore(b, memory.Options{}, true) }

// BenchmarkFeaturesLogged is BenchmarkFeatures with the state's log on disk (default sync
// policy: fsync every second, in the background).
func BenchmarkFeaturesLogged(b *testing.B) {
	benchmarkScore(b, memory.Options{Dir: b.TempDir(), SnapshotBytes: -1}, true)
}

// BenchmarkCompute is Compute alone (the scoring path's share).
func BenchmarkCompute(b *testing.B) { benchmarkScore(b, memory.Options{}, false) }

// BenchmarkReplay replays 35 days of the default population (about 350,000 records) from
// memory: the engine's share of `vigil features`, without parsing or writing CSV.
func BenchmarkReplay(b *testing.B) {
	recs := featuretest.Generate(featuretest.Options{Seed: 1, Customers: 5000, Terminals: 10000, Days: 35, Extras: true})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		e := newEngine(b, window.Limits{})
		if _, err := feature.Replay(context.Background(), featuretest.NewReader(recs), e, feature.ReplayOptions{},
			func(*history.Record, []float64) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
