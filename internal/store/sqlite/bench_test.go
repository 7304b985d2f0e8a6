package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/fraud/storetest"
)

// BenchmarkSaveDecision measures durable decision writes (each one fsynced before it is
// acknowledged) with one writer, then with many concurrent writers that group commit.
func BenchmarkSaveDecision(b *testing.B) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	save := func(b *testing.B, s *Store, n int64) {
		id := strconv.FormatInt(n, 10)
		tx := storetest.Transaction("tx-"+id, "p1_customer", at)
		d := storetest.Decision("dec-"+id, tx.ID, fraud.Approve, at)
		if err := s.SaveDecision(ctx, tx, d); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("writers=1", func(b *testing.B) {
		s := open(b, filepath.Join(b.TempDir(), "bench.db"))
		b.ReportAllocs()
		var n int64
		for b.Loop() {
			n++
			save(b, s, n)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	})
	for _, perProc := range []int{4, 32} {
		b.Run(fmt.Sprintf("writers=%dxGOMAXPROCS", perProc), func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "bench.db"))
			var n atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(perProc)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					save(b, s, n.Add(1))
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

// BenchmarkSaveDecisionRealistic writes decisions shaped like the pipeline's (28 named
// features, three worded reasons, a rule hit) for transactions with random ids from 10,000
// pseudonymous customers, so that every index takes its insert at a random place, as in
// production, into a store already holding 50,000 decisions. 64 concurrent writers.
func BenchmarkSaveDecisionRealistic(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	names := make([]string, 28)
	for i := range names {
		names[i] = fmt.Sprintf("customer_feature_name_%02d", i)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var n atomic.Int64
	save := func(b *testing.B) {
		i := n.Add(1)
		h := uint64(i) * 0x9e3779b97f4a7c15
		id := strconv.FormatUint(h, 36)
		tx := storetest.Transaction("tx-"+id, "p1_c"+strconv.FormatUint(h%10000, 10), at.Add(time.Duration(i)*time.Millisecond))
		d := storetest.Decision("dec-"+strconv.FormatInt(i, 36), tx.ID, fraud.Approve, at.Add(time.Duration(i)*time.Millisecond))
		d.FeatureNames = names
		d.Features = make([]float64, len(names))
		for f := range d.Features {
			d.Features[f] = float64(h%1000) / 7
		}
		d.Reasons = []fraud.Reason{
			{Feature: names[0], Value: 1, Contribution: 0.5, Text: "amount 5.2x the customer's 30-day mean"},
			{Feature: names[1], Value: 2, Contribution: 0.3, Text: "3 payments in the last hour"},
			{Feature: names[2], Value: 3, Contribution: 0.1, Text: "terminal risk 0.12 over 7 days"},
		}
		d.RuleHits = []fraud.RuleHit{{Rule: "night_time", Action: "tag", Reason: "night-time payment"}}
		if err := s.SaveDecision(ctx, tx, d); err != nil {
			b.Fatal(err)
		}
	}
	for range 50_000 / 64 {
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() { save(b) })
		}
		wg.Wait()
	}
	b.ReportAllocs()
	b.SetParallelism(32)
	w0, ok := writtenBytes()
	c0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			save(b)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(b.N), "cpu-µs/decision")
	if w1, ok1 := writtenBytes(); ok && ok1 {
		b.ReportMetric(float64(w1-w0)/float64(b.N), "written-B/decision")
	}
}

// writtenBytes returns the bytes this process has passed to write system calls so far
// (wchar of /proc/self/io: the log frames of every commit and the checkpoints' copies),
// false where the system does not tell. Unlike the throughput, this figure does not depend
// on what else the machine is doing, so it shows what a change to the schema saves.
func writtenBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// cpuTime returns the processor time (user and system) this process has used so far: per
// decision, a figure that depends less on what else the machine runs than the throughput.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
