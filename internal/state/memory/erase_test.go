package memory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// someCustomer renames the first customer the ops observe to an id no other id or record
// contains, in every op, and returns it.
func someCustomer(t *testing.T, ops []operation) string {
	t.Helper()
	const victim = "p1_customer-to-erase-0123456789"
	old := ""
	for i := range ops {
		if ops[i].code == opObserve {
			old = ops[i].tx.CustomerID
			break
		}
	}
	if old == "" {
		t.Fatal("no observation")
	}
	for i := range ops {
		if ops[i].code != opSweep && ops[i].tx.CustomerID == old {
			ops[i].tx.CustomerID = victim
		}
	}
	return victim
}

// filesHold reports whether any file in dir holds b.
func filesHold(t *testing.T, dir string, b []byte) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var holding []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, b) {
			holding = append(holding, e.Name())
		}
	}
	return holding
}

func TestEraseCustomer(t *testing.T) {
	ops := testOps(t, 20)
	victim := someCustomer(t, ops)
	half := len(ops) / 2

	// The reference: the same operations and erasure in memory only.
	want := reference(t, ops[:half])
	if ok, err := want.EraseCustomer(ctx, victim); !ok || err != nil {
		t.Fatalf("in memory: EraseCustomer = %v, %v", ok, err)
	}
	for i := range ops[half:] {
		if err := ops[half+i].apply(want); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	s := open(t, Options{Dir: dir, Sync: SyncAlways}) // records reach the file at once
	applyAll(t, s, ops[:half])
	if len(filesHold(t, dir, []byte(victim))) == 0 {
		t.Fatal("the log does not hold the customer before the erasure: the test proves nothing")
	}
	ok, err := s.EraseCustomer(ctx, victim)
	if !ok || err != nil {
		t.Fatalf("EraseCustomer = %v, %v", ok, err)
	}
	s.RLock()
	gone := s.Customer(victim) == nil
	s.RUnlock()
	if !gone {
		t.Fatal("the customer is still held")
	}
	if files := filesHold(t, dir, []byte(victim)); len(files) != 0 {
		t.Fatalf("after the erasure, %v still hold the customer id", files)
	}
	if ok, err := s.EraseCustomer(ctx, victim); ok || err != nil {
		t.Fatalf("second EraseCustomer = %v, %v; want false, nil", ok, err)
	}
	applyAll(t, s, ops[half:])
	crash(t, s)

	s = open(t, Options{Dir: dir})
	defer s.Close()
	sameState(t, s, want)

	for _, id := range []string{"", string(make([]byte, maxIDLength+1))} {
		if _, err := s.EraseCustomer(ctx, id); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("EraseCustomer(%d bytes) = %v, want ErrInvalid", len(id), err)
		}
	}
}

// TestEraseRecordReplays checks that an erasure record in the log (one written after the
// last snapshot, as when the process dies before the snapshot that follows an erasure)
// is replayed on recovery.
func TestEraseRecordReplays(t *testing.T) {
	ops := testOps(t, 10)
	victim := someCustomer(t, ops)
	want := reference(t, ops)
	if ok, _ := want.EraseCustomer(ctx, victim); !ok {
		t.Fatal("reference: nothing erased")
	}

	dir := t.TempDir()
	s := open(t, Options{Dir: dir, Sync: SyncAlways})
	applyAll(t, s, ops)
	s.mu.Lock()
	if err := s.append(encodeErase(s.rec[:0], s.seq+1, victim)); err != nil {
		t.Fatal(err)
	}
	s.erase(victim)
	s.mu.Unlock()
	crash(t, s)

	s = open(t, Options{Dir: dir})
	defer s.Close()
	sameState(t, s, want)
}

func TestEraseAfterClose(t *testing.T) {
	s := open(t, Options{Dir: t.TempDir()})
	s.Close()
	if _, err := s.EraseCustomer(ctx, "p1_x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("EraseCustomer after Close = %v, want ErrClosed", err)
	}
}

func TestDirectoryLock(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Options{Dir: dir})
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, Options{Dir: dir}) // Close released it
	crash(t, s)
	s = open(t, Options{Dir: dir}) // so does a crash (the kernel drops the lock at exit)
	defer s.Close()
	if _, err := os.Stat(filepath.Join(dir, lockName)); err != nil {
		t.Fatalf("lock file: %v", err)
	}
	// An in-memory state locks nothing.
	m := open(t, Options{})
	defer m.Close()
}
