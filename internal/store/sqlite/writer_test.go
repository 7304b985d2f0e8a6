package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/fraud/storetest"
)

// TestRestartKeepsAcknowledged saves from many goroutines, closes, reopens and finds every
// acknowledged decision.
func TestRestartKeepsAcknowledged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked []string
	)
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := string(rune('a'+w)) + "-" + time.Duration(i).String()
				at := time.Now()
				if err := s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at),
					storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at)); err != nil {
					t.Error(err)
					continue
				}
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveDecision(ctx, storetest.Transaction("tx-late", "c", time.Now()),
		storetest.Decision("dec-late", "tx-late", fraud.Approve, time.Now())); !errors.Is(err, ErrClosed) {
		t.Errorf("SaveDecision after Close: err = %v, want ErrClosed", err)
	}
	s2 := open(t, path)
	for _, id := range acked {
		if _, err := s2.DecisionByTransaction(ctx, "tx-"+id); err != nil {
			t.Fatalf("acknowledged decision %s lost across restart: %v", id, err)
		}
	}
	if len(acked) != 400 {
		t.Errorf("%d decisions acknowledged, want 400", len(acked))
	}
}

// TestCloseDrainsQueue closes while callers are waiting: each gets a result, and every nil
// result is a stored decision.
func TestCloseDrainsQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 200)
	for i := range results {
		wg.Go(func() {
			id := time.Duration(i).String()
			at := time.Now()
			results[i] = s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at),
				storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at))
		})
	}
	time.Sleep(time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	s2 := open(t, path)
	for i, err := range results {
		id := time.Duration(i).String()
		_, gerr := s2.DecisionByTransaction(ctx, "tx-"+id)
		switch {
		case err == nil && gerr != nil:
			t.Fatalf("decision %s acknowledged but not stored: %v", id, gerr)
		case err != nil && !errors.Is(err, ErrClosed):
			t.Fatalf("decision %s: unexpected error %v", id, err)
		case errors.Is(err, ErrClosed) && gerr == nil:
			t.Fatalf("decision %s refused but stored", id)
		}
	}
}

// TestCancelledBeforeTurnWritesNothing: a caller whose context has ended gets its error and
// nothing of its request is stored.
func TestCancelledBeforeTurnWritesNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	at := time.Now()
	err := s.SaveDecision(cctx, storetest.Transaction("tx-c", "c", at), storetest.Decision("dec-c", "tx-c", fraud.Approve, at))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// Whether or not it reached the queue, the writer never writes a request whose context
	// has ended by its turn. A later save has been through the writer after it.
	saveFixture(t, s, "after")
	if _, err := s.DecisionByTransaction(ctx, "tx-c"); !errors.Is(err, fraud.ErrNotFound) {
		t.Fatalf("cancelled decision: err = %v, want ErrNotFound", err)
	}
}

// TestConformanceSmallBatches runs the suite with batches of at most two decisions and a
// wait for more, so the writer's gathering paths are exercised too.
func TestConformanceSmallBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "vigil.db"), Sealer: testSealer(t),
			MaxBatch: 2, MaxDelay: time.Millisecond, QueueSize: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return storetest.Stores{Decisions: s}
	})
}

// TestDuplicateInBatchFailsAlone gathers several decisions into one batch (the writer waits
// for them) with a duplicate among them: only the duplicate's caller gets ErrConflict.
func TestDuplicateInBatchFailsAlone(t *testing.T) {
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "vigil.db"), Sealer: testSealer(t),
		MaxBatch: 6, MaxDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	saveFixture(t, s, "stored")
	at := time.Now()
	ids := []string{"a", "b", "stored", "c", "d", "a"}
	results := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			results[i] = s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at),
				storetest.Decision(fmt.Sprintf("dec-%s-%d", id, i), "tx-"+id, fraud.Approve, at))
		})
	}
	wg.Wait()
	var ok, conflicts int
	for i, err := range results {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, fraud.ErrConflict):
			conflicts++
		default:
			t.Errorf("save %s: %v", ids[i], err)
		}
	}
	// "stored" conflicts with the earlier save; one of the two "a" conflicts with the other.
	if ok != 4 || conflicts != 2 {
		t.Errorf("%d saved and %d conflicts, want 4 and 2", ok, conflicts)
	}
	for _, id := range []string{"a", "b", "c", "d", "stored"} {
		if _, err := s.DecisionByTransaction(ctx, "tx-"+id); err != nil {
			t.Errorf("tx-%s: %v", id, err)
		}
	}
}

// TestFailingDecisionFailsAlone makes one decision of a batch fail for a reason other than
// a duplicate (a trigger refuses it): the writer falls back to savepoints, that caller alone
// gets the error, nothing of its request is stored, and the rest of the batch commits.
func TestFailingDecisionFailsAlone(t *testing.T) {
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "vigil.db"), Sealer: testSealer(t),
		MaxBatch: 5, MaxDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	// TEMP triggers live on one connection: the writer's.
	if _, err := s.wconn.ExecContext(ctx, `CREATE TEMP TRIGGER poison BEFORE INSERT ON main.decisions
		WHEN NEW.model_version = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`); err != nil {
		t.Fatal(err)
	}
	saveFixture(t, s, "stored")
	at := time.Now()
	ids := []string{"a", "poison", "stored", "b", "c"}
	results := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			d := storetest.Decision("dec-"+id+"-new", "tx-"+id, fraud.Approve, at)
			if id == "poison" {
				d.ModelVersion = "poison"
			}
			results[i] = s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at), d)
		})
	}
	wg.Wait()
	for i, id := range ids {
		err := results[i]
		switch id {
		case "poison":
			if err == nil || errors.Is(err, fraud.ErrConflict) {
				t.Errorf("poisoned save: err = %v, want a storage error", err)
			}
			if _, err := s.Transaction(ctx, "tx-poison"); !errors.Is(err, fraud.ErrNotFound) {
				t.Errorf("poisoned transaction stored: %v", err)
			}
		case "stored":
			if !errors.Is(err, fraud.ErrConflict) {
				t.Errorf("duplicate: err = %v, want ErrConflict", err)
			}
		default:
			if err != nil {
				t.Errorf("save %s: %v", id, err)
			}
			if _, err := s.DecisionByTransaction(ctx, "tx-"+id); err != nil {
				t.Errorf("tx-%s: %v", id, err)
			}
		}
	}
}

// TestSyncFailureFailsStore: when the write-ahead log cannot be fsynced, the decisions of
// that commit are answered with an error, never with success, and the store takes no more.
func TestSyncFailureFailsStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := open(t, path)
	saveFixture(t, s, "before")
	if err := os.Remove(path + "-wal"); err != nil { // the log the syncer opens is gone
		t.Fatal(err)
	}
	at := time.Now()
	err := s.SaveDecision(ctx, storetest.Transaction("tx-lost", "c", at), storetest.Decision("dec-lost", "tx-lost", fraud.Approve, at))
	if err == nil {
		t.Fatal("a decision whose log was not fsynced was acknowledged")
	}
	err = s.SaveDecision(ctx, storetest.Transaction("tx-after", "c", at), storetest.Decision("dec-after", "tx-after", fraud.Approve, at))
	if err == nil || !strings.Contains(err.Error(), "fsync") {
		t.Errorf("after a failed fsync: err = %v, want the store's failure", err)
	}
}

// TestWriterReplacesLostConnection: when the writer's own connection is gone, the next
// batch takes a new one (with the writer's settings) instead of failing every decision
// from then on.
func TestWriterReplacesLostConnection(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	saveFixture(t, s, "before")
	old := s.wconn
	if err := old.Close(); err != nil { // what database/sql does to a connection it finds bad
		t.Fatal(err)
	}
	saveFixture(t, s, "after")
	if s.wconn == old {
		t.Fatal("the writer kept its closed connection")
	}
	var sync int
	if err := s.wconn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if sync != 1 {
		t.Errorf("new writer connection: synchronous = %d, want 1 (NORMAL)", sync)
	}
}
