package memory

import (
	"runtime"
	"testing"

	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
)

// bytesPerEntity loads 35 days of the handbook's default population (5,000 customers,
// 10,000 terminals, about 2 transactions a customer a day, with the extras' devices and
// countries) into a state and returns the heap it takes per customer or terminal held.
func bytesPerEntity(t testing.TB) (perEntity float64, entities int) {
	t.Helper()
	recs := featuretest.Generate(featuretest.Options{Seed: 1, Customers: 5000, Terminals: 10000, Days: 35, Extras: true})
	ops := operations(recs)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ops {
		if err := ops[i].apply(s); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	st := s.Stats()
	entities = st.Customers + st.Terminals
	perEntity = float64(after.HeapAlloc-before.HeapAlloc) / float64(entities)
	runtime.KeepAlive(s)
	runtime.KeepAlive(recs)
	runtime.KeepAlive(ops)
	return perEntity, entities
}

// TestMemoryPerEntity guards the memory a history takes (target: under 1 KiB an entity on
// the handbook's population; the guard is looser so allocator changes do not break it).
func TestMemoryPerEntity(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("loads 350,000 transactions (skipped with -short and -race)")
	}
	per, n := bytesPerEntity(t)
	t.Logf("%.0f bytes per entity over %d entities (12 bytes per customer event, 8 per terminal event, plus map entry, id and header)", per, n)
	if per > 1536 {
		t.Errorf("%.0f bytes per entity, want under 1 KiB (guard: 1.5 KiB)", per)
	}
}

// BenchmarkMemoryPerEntity reports the heap per entity (B/entity) of a loaded state.
func BenchmarkMemoryPerEntity(b *testing.B) {
	var per float64
	for range b.N {
		per, _ = bytesPerEntity(b)
	}
	b.ReportMetric(per, "B/entity")
}
