package sqlite

import (
	"bytes"
	"context"
	"database/sql/driver"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"

	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/fraud/storetest"
)

// TestListingsAfterRestartDoNotHang: listings decode decisions while their rows hold a
// pooled connection. On a cold cache the feature names were fetched on another connection,
// so enough concurrent listings took every connection and waited for one more, for ever
// (with two connections, one listing did).
func TestListingsAfterRestartDoNotHang(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s1 := open(t, path)
	saveFixture(t, s1, "a")
	saveFixture(t, s1, "b")
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	for _, conns := range []int{2, 8} {
		s, err := Open(ctx, Options{Path: path, Sealer: testSealer(t), MaxOpenConns: conns})
		if err != nil {
			t.Fatal(err)
		}
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var wg sync.WaitGroup
		errs := make([]error, 32)
		for i := range errs {
			wg.Go(func() {
				p, err := s.Decisions(lctx, fraud.DecisionFilter{Limit: 1})
				if err == nil && len(p.Items[0].FeatureNames) == 0 {
					err = errors.New("no feature names")
				}
				errs[i] = err
			})
		}
		wg.Wait()
		cancel()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		for _, err := range errs {
			if err != nil {
				t.Fatalf("%d connections, listing after a restart: %v", conns, err)
			}
		}
	}
}

var holdEntered, holdRelease = make(chan struct{}, 1), make(chan struct{})

func init() {
	// review_hold() blocks the statement that calls it until the test lets it go.
	sqlite.MustRegisterScalarFunction("review_hold", 0, func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
		holdEntered <- struct{}{}
		<-holdRelease
		return int64(0), nil
	})
}

// TestNoAckAfterFsyncFailure: once an fsync of the log has failed, a decision committed
// after it is not acknowledged, even if a later fsync succeeds: the log may have lost the
// failed batch's pages, and recovery stops at the first gap.
func TestNoAckAfterFsyncFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := open(t, path)
	if _, err := s.wconn.ExecContext(ctx, `CREATE TEMP TRIGGER hold BEFORE INSERT ON main.decisions
		WHEN NEW.model_version = 'hold' BEGIN SELECT review_hold(); END`); err != nil {
		t.Fatal(err)
	}
	saveFixture(t, s, "before")
	at := time.Now()
	save := func(id, model string) chan error {
		ch := make(chan error, 1)
		go func() {
			d := storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at)
			d.ModelVersion = model
			ch <- s.SaveDecision(ctx, storetest.Transaction("tx-"+id, "c", at), d)
		}()
		return ch
	}
	s.bulk.Lock()
	r1 := save("one", "m")
	for len(s.queue) != 0 { // the writer took it and waits for bulk
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	r2 := save("two", "hold")
	for len(s.queue) != 1 {
		time.Sleep(time.Millisecond)
	}
	// The log file is away while the first batch's fsync runs: it fails.
	if err := os.Rename(path+"-wal", path+"-wal.away"); err != nil {
		t.Fatal(err)
	}
	s.bulk.Unlock()
	if err1 := <-r1; err1 == nil || s.failed.Load() == nil {
		t.Fatalf("setup: the first fsync did not fail: %v", err1)
	}
	<-holdEntered // the second batch is being written
	if err := os.Rename(path+"-wal.away", path+"-wal"); err != nil {
		t.Fatal(err)
	}
	close(holdRelease)
	if err2 := <-r2; err2 == nil {
		t.Error("a decision committed after the failed fsync was acknowledged")
	}
}

// TestErasureTruncatesLogDespiteReader: a reader holding a snapshot while a customer is
// erased keeps the log from being truncated then; the checkpointer finishes the job once
// the reader is gone, instead of leaving the customer's old pages in the -wal file until
// Close.
func TestErasureTruncatesLogDespiteReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := open(t, path)
	const erased = "p1_ERASEDxERASEDxERASEDx"
	at := time.Now()
	for _, id := range []string{"1", "2", "3"} {
		if err := s.SaveDecision(ctx, storetest.Transaction("tx-"+id, erased, at),
			storetest.Decision("dec-"+id, "tx-"+id, fraud.Approve, at)); err != nil {
			t.Fatal(err)
		}
	}
	rconn, err := s.db.Conn(ctx) // an analyst's read in progress
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rconn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rconn.QueryRowContext(ctx, "SELECT count(*) FROM decisions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got, err := s.EraseCustomer(ctx, erased); err != nil || got != 3 {
		t.Fatalf("erase: %d %v", got, err)
	}
	if !s.truncateDue.Load() {
		t.Fatal("the truncation succeeded under a reader's snapshot: the test proves nothing")
	}
	if _, err := rconn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	rconn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(erased)) && !s.truncateDue.Load() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log still holds the erased customer %v after the reader left (truncation due: %v)",
				time.Since(deadline.Add(-10*time.Second)), s.truncateDue.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPercentInPath: SQLite decodes %XX in a file: URI; the database must still be the file
// named (created 0600) and the one fsynced.
func TestPercentInPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil%41.db")
	s := open(t, path)
	saveFixture(t, s, "a")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v", path, fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "vigilA.db")); err == nil {
		t.Error("SQLite wrote vigilA.db")
	}
}

// TestForeignCursorRefused: one listing's cursor is refused by another (they share a format).
func TestForeignCursorRefused(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "vigil.db"))
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"a", "b"} {
		saveFixture(t, s, id)
		if err := s.SaveLabel(ctx, fraud.Label{TransactionID: "tx-" + id, Fraud: true, Source: "api", LabelledAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	lp, err := s.Labels(ctx, fraud.LabelFilter{Limit: 1})
	if err != nil || lp.Next == "" {
		t.Fatal(lp, err)
	}
	dp, err := s.Decisions(ctx, fraud.DecisionFilter{Limit: 1})
	if err != nil || dp.Next == "" {
		t.Fatal(dp, err)
	}
	if _, err := s.Decisions(ctx, fraud.DecisionFilter{Cursor: lp.Next}); !errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("a labels cursor in Decisions: %v, want ErrInvalid", err)
	}
	if _, err := s.Labels(ctx, fraud.LabelFilter{Cursor: dp.Next}); !errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("a decisions cursor in Labels: %v, want ErrInvalid", err)
	}
	if _, err := s.Cases(ctx, fraud.CaseFilter{Cursor: dp.Next}); !errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("a decisions cursor in Cases: %v, want ErrInvalid", err)
	}
	if p, err := s.Decisions(ctx, fraud.DecisionFilter{Limit: 1, Cursor: dp.Next}); err != nil || len(p.Items) != 1 {
		t.Errorf("its own cursor: %v %v", p, err)
	}
}
