package audit_test

import (
	"path/filepath"
	"testing"

	"github.com/vigil-fraud/vigil/internal/audit"
)

// BenchmarkAppend measures one Append to the SQLite store: validation, hashing and one
// committed (synchronous=FULL) transaction.
func BenchmarkAppend(b *testing.B) {
	s := openSQLite(b, filepath.Join(b.TempDir(), "vigil.db"))
	l := audit.New(s, audit.Options{})
	ev := audit.Event{Actor: "key:k1", Action: audit.ActionLabelCreate, Target: "tx-123",
		Details: map[string]any{"fraud": true, "source": "analyst"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Append(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures verifying a 10,000-entry log on the SQLite store; ns/op divided
// by 10,000 is the cost per entry.
func BenchmarkVerify(b *testing.B) {
	s := openSQLite(b, filepath.Join(b.TempDir(), "vigil.db"))
	l := audit.New(s, audit.Options{})
	const n = 10000
	for _, ev := range events(n) {
		if _, err := l.Append(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if r, err := audit.Verify(ctx, s, nil); err != nil || r.Entries != n {
			b.Fatal(r, err)
		}
	}
}

// BenchmarkHash measures hashing one typical entry.
func BenchmarkHash(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		audit.Hash(goldenEntry)
	}
}
