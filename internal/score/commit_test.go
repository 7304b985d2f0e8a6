package score

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/score/scoretest"
)

// TestFutureTimestampRefused: a transaction dated more than MaxFutureSkew past the clock
// is refused on its timestamp and changes nothing; without that, one bad client clock moved
// its customer's and terminal's windows years ahead, and every payment after it was dropped
// from the features as too old.
func TestFutureTimestampRefused(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.p.now = func() time.Time { return t0.Add(5 * time.Minute) }
	ctx := context.Background()
	for i, id := range []string{"tx-1", "tx-2", "tx-3"} {
		tx := txn(id, 10)
		tx.Timestamp = t0.Add(time.Duration(i) * time.Minute)
		if _, err := f.p.Score(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	before := f.state.Stats()
	bad := txn("tx-bad", 10)
	bad.Timestamp = t0.AddDate(20, 0, 0)
	_, err := f.p.Score(ctx, bad)
	var verr *fraud.ValidationError
	if !errors.As(err, &verr) || len(verr.Fields) != 1 || verr.Fields[0].Path != "timestamp" {
		t.Fatalf("a transaction 20 years ahead: %v, want a timestamp error", err)
	}
	if _, err := f.store.Transaction(ctx, "tx-bad"); !errors.Is(err, fraud.ErrNotFound) {
		t.Errorf("the refused transaction was stored: %v", err)
	}
	if after := f.state.Stats(); after.Seq != before.Seq {
		t.Errorf("the refused transaction reached the state: seq %d -> %d", before.Seq, after.Seq)
	}
	// Within the skew (the sender's clock a little ahead): scored, and counted.
	ahead := txn("tx-4", 10)
	ahead.Timestamp = t0.Add(35 * time.Minute)
	r, err := f.p.Score(ctx, ahead)
	if err != nil {
		t.Fatalf("30 minutes ahead of the clock: %v", err)
	}
	if got := r.Decision.Features[feature.CustomerTxCount1h]; got != 4 {
		t.Errorf("customer_tx_count_1h of tx-4 = %v, want 4 (tx-1..tx-3 and itself, within the hour)", got)
	}
}

// commitThenCancel commits, then ends the caller's context and answers as sqlite.Store does
// when the context ends during the group commit: with ctx.Err(), the pair stored.
type commitThenCancel struct {
	Store
	cancel context.CancelFunc
}

func (s *commitThenCancel) SaveDecision(ctx context.Context, t *fraud.Transaction, d *fraud.Decision) error {
	if err := s.Store.SaveDecision(context.WithoutCancel(ctx), t, d); err != nil {
		return err
	}
	s.cancel()
	return ctx.Err()
}

// TestCancelledCallerStillUpdatesState: a caller whose context ends while its decision is
// being committed does not leave a stored decision missing from the feature state (its
// retry is answered from the store and updates nothing).
func TestCancelledCallerStillUpdatesState(t *testing.T) {
	st := scoretest.NewStack(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := New(Options{Engine: st.Engine, Store: &commitThenCancel{Store: st.Store, cancel: cancel},
		Pseudonymizer: st.Pseudonymizer, Model: trainedModel(t), Archive: DirArchive(filepath.Join(st.Dir, "rules"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Score(ctx, txn("tx-1", 42.5)); err != nil {
		t.Fatalf("first: %v", err)
	}
	r, err := p.Score(context.Background(), txn("tx-1", 42.5))
	if err != nil || !r.Replayed {
		t.Fatalf("retry: %+v, %v", r, err)
	}
	if s := st.State.Stats(); s.Customers != 1 || s.Terminals != 1 {
		t.Fatalf("the durable transaction is missing from the feature state: %+v", s)
	}
}

// pausingStore holds tx-2's scoring between its save and its state update.
type pausingStore struct {
	Store
	saved, release chan struct{}
}

func (s *pausingStore) SaveDecision(ctx context.Context, t *fraud.Transaction, d *fraud.Decision) error {
	err := s.Store.SaveDecision(ctx, t, d)
	if t.ID == "tx-2" {
		close(s.saved)
		<-s.release
	}
	return err
}

// TestEraseWaitsForDecisionsInFlight: an erasure of a customer whose decision is saved but
// not yet in the feature state waits for it, so the update cannot put the erased history
// back after the erasure answered.
func TestEraseWaitsForDecisionsInFlight(t *testing.T) {
	st := scoretest.NewStack(t)
	ps := &pausingStore{Store: st.Store, saved: make(chan struct{}), release: make(chan struct{})}
	p, err := New(Options{Engine: st.Engine, Store: ps, Pseudonymizer: st.Pseudonymizer, Model: trainedModel(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := p.Score(ctx, txn("tx-1", 42.5)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := p.Score(ctx, txn("tx-2", 10)); done <- err }()
	<-ps.saved
	pseudonym := st.Pseudonymizer.Pseudonym("c-17")
	erased := make(chan error, 1)
	go func() {
		erased <- p.EraseCustomer(pseudonym, func() error {
			if _, err := st.Store.EraseCustomer(ctx, pseudonym); err != nil {
				return err
			}
			_, err := st.State.EraseCustomer(ctx, pseudonym)
			return err
		})
	}()
	select {
	case err := <-erased:
		t.Fatalf("the erasure ran while a decision of the customer was in flight: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(ps.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-erased; err != nil {
		t.Fatal(err)
	}
	st.State.RLock()
	left := st.State.Customer(pseudonym) != nil
	st.State.RUnlock()
	if left {
		t.Fatal("the erasure answered, but the feature state holds the erased customer's history again")
	}
	if _, err := st.Store.Transaction(ctx, "tx-2"); err == nil {
		t.Error("tx-2 survived the erasure in the store")
	}
}
