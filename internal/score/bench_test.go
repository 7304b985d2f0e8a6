package score

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
	"github.com/vigil-fraud/vigil/internal/fraud"
)

// benchPayloads returns the JSON bodies of a realistic stream: a featuretest history whose
// first 30 days are loaded into the fixture's state, the rest returned as requests.
func benchPayloads(b *testing.B, f *fixture) [][]byte {
	recs := featuretest.Generate(featuretest.Options{Customers: 500, Terminals: 1000, Days: 40, Seed: 3, Extras: true})
	cut := recs[0].Timestamp.AddDate(0, 0, 30)
	var out [][]byte
	for i := range recs {
		t := recs[i].Transaction
		if t.Timestamp.Before(cut) {
			f.p.pseudo.Apply(&t)
			if err := f.p.engine.Update(context.Background(), &t); err != nil {
				b.Fatal(err)
			}
			continue
		}
		body, err := json.Marshal(&t)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, body)
	}
	return out
}

// BenchmarkScore measures the in-process decision: decode and validate the JSON,
// pseudonymise, compute the features, score with reason codes, evaluate the default rules,
// then update the feature state — everything but persistence (BenchmarkScoreDurable adds
// it). It reports the 99th percentile of one decision as p99-ns.
func BenchmarkScore(b *testing.B) {
	f := newFixture(b, fixtureOptions{})
	bodies := benchPayloads(b, f)
	ctx := context.Background()
	a := f.p.cur.Load()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		began := time.Now()
		t, err := fraud.DecodeTransaction(bodies[i%len(bodies)])
		if err != nil {
			b.Fatal(err)
		}
		t.ID = fmt.Sprint(i) // every decision is a new transaction
		d, err := f.p.decide(ctx, a, &t, began)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.p.engine.Update(ctx, &t); err != nil {
			b.Fatal(err)
		}
		_ = d
		lat = append(lat, time.Since(began))
	}
	b.StopTimer()
	reportP99(b, lat)
}

// BenchmarkScoreDurable is Score end to end with the SQLite store: each decision is durable
// (fsynced, group-committed with the others in flight) before the call returns. Run it with
// -cpu to vary the concurrency; decisions/s is the throughput.
func BenchmarkScoreDurable(b *testing.B) {
	f := newFixture(b, fixtureOptions{})
	bodies := benchPayloads(b, f)
	ctx := context.Background()
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	began := time.Now()
	var seq atomicCounter
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.next()
			t, err := fraud.DecodeTransaction(bodies[i%uint64(len(bodies))])
			if err != nil {
				b.Error(err)
				return
			}
			t.ID = fmt.Sprint("d", i)
			if _, err := f.p.Score(ctx, &t); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "decisions/s")
}

func reportP99(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

type atomicCounter struct{ n atomic.Uint64 }

func (c *atomicCounter) next() uint64 { return c.n.Add(1) }
