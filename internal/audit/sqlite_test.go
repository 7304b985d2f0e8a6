package audit_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/vigil-fraud/vigil/internal/audit"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/seal"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

// openSQLite opens a SQLite store at path and closes it when the test ends.
func openSQLite(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	sealer, err := seal.New(bytes.Repeat([]byte{0x5a}, seal.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := sqlite.Open(ctx, sqlite.Options{Path: path, Sealer: sealer})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

func TestSQLiteAppendVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := openSQLite(t, path)
	l := audit.New(s, audit.Options{Now: clock()})
	var last fraud.AuditEntry
	for _, ev := range events(30) {
		var err error
		if last, err = l.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	head, err := l.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := audit.VerifyWith(ctx, s, audit.VerifyOptions{ExpectHead: &head})
	if err != nil {
		t.Fatal(err)
	}
	if r.Entries != 30 || r.Head.String() != head.String() || !r.HeadTime.Equal(last.Time) {
		t.Fatalf("report %+v, head %v, last %+v", r, head, last)
	}
	// What SQLite returns hashes as what was appended (times to the nanosecond, UTC).
	stored, err := s.LastAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(audit.Hash(*stored), last.Hash) {
		t.Errorf("stored entry %+v does not hash as appended %+v", *stored, last)
	}
}

// TestSQLiteConcurrentAppenders appends from two store handles on one file (as two vigil
// instances would), each used by two Logs of several goroutines.
func TestSQLiteConcurrentAppenders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	stores := []fraud.AuditStore{openSQLite(t, path), openSQLite(t, path)}
	var i int
	testConcurrent(t, func() fraud.AuditStore { i++; return stores[i%2] }, 4, 3, 8)
}
