package sqlite

import (
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
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
