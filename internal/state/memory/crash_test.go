package memory

import (
	"maps"
	"os"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// TestSnapshotNeverAheadOfLog: operations applied while a snapshot is encoded may be in
// it; their log records reach the disk before the snapshot does, so a crash right after the
// snapshot does not restart numbering below them (recovery would then skip new, fsynced
// operations under those numbers).
func TestSnapshotNeverAheadOfLog(t *testing.T) {
	ops := testOps(t, 20)
	half := len(ops) / 2
	dir, crashed := t.TempDir(), t.TempDir()
	s := open(t, Options{Dir: dir, SyncEvery: time.Hour})
	s.chunk = 3
	applyAll(t, s, ops[:half])
	next := half
	s.snapshotPause = func() {
		for range 2 {
			if next < len(ops)-200 {
				if err := ops[next].apply(s); err != nil {
					t.Fatal(err)
				}
				next++
			}
		}
	}
	if err := s.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	s.snapshotPause = nil
	copyFiles(t, dir, crashed) // kill -9 now
	s.Close()
	if err := os.Chmod(crashed, 0o700); err != nil {
		t.Fatal(err)
	}
	r := open(t, Options{Dir: crashed, Sync: SyncAlways})
	applyAll(t, r, ops[next:])
	before, seq := dump(r), r.Stats().Seq
	crash(t, r)
	r2 := open(t, Options{Dir: crashed})
	defer r2.Close()
	if r2.Stats().Seq != seq || !maps.Equal(before, dump(r2)) {
		t.Fatalf("after a restart, fsynced operations were lost (seq %d, want %d)", r2.Stats().Seq, seq)
	}
}

// TestEraseSweptCustomerLeavesNothingOnDisk: a customer swept from memory as inactive still
// sits in the last snapshot and the log; erasing it removes it from disk too.
func TestEraseSweptCustomerLeavesNothingOnDisk(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir, Sync: SyncAlways, Retention: 24 * time.Hour})
	defer s.Close()
	const victim = "p1_customer-to-erase-0123456789"
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, c := range []string{victim, "p1_other"} {
		x := fraud.Transaction{ID: c, Timestamp: at.Add(time.Duration(i) * time.Hour), Amount: 10, CustomerID: c, TerminalID: "t1"}
		if err := s.Observe(ctx, &x); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(ctx, at.Add(200*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if s.Customer(victim) != nil {
		t.Fatal("setup: not swept")
	}
	if held, err := s.EraseCustomer(ctx, victim); err != nil || held {
		t.Fatalf("erase: %v %v", held, err)
	}
	if files := filesHold(t, dir, []byte(victim)); len(files) != 0 {
		t.Fatalf("after the erasure, %v still hold the customer id", files)
	}
}

// TestCloseAfterCrashDuringSnapshot: a crash between the log's rotation and the snapshot's
// rename leaves an empty segment after the last operation; recovery reopens it, and the next
// snapshot (Close's, with nothing new) keeps it instead of failing to create it again.
func TestCloseAfterCrashDuringSnapshot(t *testing.T) {
	ops := testOps(t, 10)
	dir, crashed := t.TempDir(), t.TempDir()
	s := open(t, Options{Dir: dir})
	s.chunk = 3
	applyAll(t, s, ops)
	copied := false
	s.snapshotPause = func() {
		if !copied {
			copyFiles(t, dir, crashed) // kill -9 here
			copied = true
		}
	}
	if err := s.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(crashed, 0o700); err != nil {
		t.Fatal(err)
	}
	r := open(t, Options{Dir: crashed})
	sameState(t, r, reference(t, ops))
	if err := r.Close(); err != nil {
		t.Errorf("Close after recovering from a crash during a snapshot: %v", err)
	}
	again := open(t, Options{Dir: crashed})
	sameState(t, again, reference(t, ops))
	again.Close()
}
