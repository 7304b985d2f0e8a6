// Package statetest is the conformance suite every fraud.FeatureState passes: state/memory
// always, state/redis when its server is configured. Only tests import it.
package statetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/feature/featuretest"
	"github.com/vigil-fraud/vigil/internal/feature/window"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/history"
)

// Run runs the suite. newState returns a new, empty state each call, with the default limits;
// Run does not close it (register a t.Cleanup in newState).
func Run(t *testing.T, newState func(t *testing.T) fraud.FeatureState) {
	t.Run("EmptyLoad", func(t *testing.T) { testEmptyLoad(t, newState(t)) })
	t.Run("ObserveLoad", func(t *testing.T) { testObserveLoad(t, newState(t)) })
	t.Run("Label", func(t *testing.T) { testLabel(t, newState(t)) })
	t.Run("Invalid", func(t *testing.T) { testInvalid(t, newState(t)) })
	t.Run("Features", func(t *testing.T) { testFeatures(t, newState(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newState(t)) })
}

var (
	ctx   = context.Background()
	start = time.Date(2018, 4, 1, 0, 0, 0, 0, time.UTC)
)

func tx(id string, at time.Duration, customer, terminal string, amount float64) *fraud.Transaction {
	return &fraud.Transaction{ID: id, Timestamp: start.Add(at), Amount: amount, Currency: "EUR",
		CustomerID: customer, TerminalID: terminal}
}

// load returns the decoded histories of a customer and a terminal.
func load(t *testing.T, s fraud.FeatureState, customer, terminal string) (*window.Customer, *window.Terminal) {
	t.Helper()
	keys := []fraud.EntityKey{{Kind: fraud.CustomerEntity, ID: customer}, {Kind: fraud.TerminalEntity, ID: terminal}}
	blobs := make([][]byte, 2)
	if err := s.Load(ctx, keys, blobs); err != nil {
		t.Fatal(err)
	}
	var c window.Customer
	var tm window.Terminal
	if err := c.UnmarshalBinary(blobs[0]); err != nil {
		t.Fatal(err)
	}
	if err := tm.UnmarshalBinary(blobs[1]); err != nil {
		t.Fatal(err)
	}
	return &c, &tm
}

func testEmptyLoad(t *testing.T, s fraud.FeatureState) {
	keys := []fraud.EntityKey{{Kind: fraud.CustomerEntity, ID: "nobody"}, {Kind: fraud.TerminalEntity, ID: "nowhere"}}
	blobs := [][]byte{[]byte("stale"), nil}
	if err := s.Load(ctx, keys, blobs); err != nil {
		t.Fatal(err)
	}
	if len(blobs[0]) != 0 || len(blobs[1]) != 0 {
		t.Fatalf("unknown entities gave blobs of %d and %d bytes", len(blobs[0]), len(blobs[1]))
	}
	if err := s.Load(ctx, keys, blobs[:1]); err == nil {
		t.Error("Load with fewer blobs than keys: no error")
	}
}

func testObserveLoad(t *testing.T, s fraud.FeatureState) {
	a := tx("a", time.Hour, "c1", "t1", 12.34)
	b := tx("b", 2*time.Hour, "c1", "t2", 5)
	for _, x := range []*fraud.Transaction{a, b} {
		if err := s.Observe(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	c, tm := load(t, s, "c1", "t1")
	if c.Len() != 2 || c.At(0).Cents() != 1234 || c.At(1).Cents() != 500 {
		t.Fatalf("customer history: %d events", c.Len())
	}
	if last, ok := c.Last(); !ok || int64(last) != b.Timestamp.Unix() {
		t.Errorf("Last = %d, %v", last, ok)
	}
	if tm.Len() != 1 || int64(tm.At(0).Time) != a.Timestamp.Unix() || tm.At(0).Labelled() {
		t.Fatalf("terminal history: %d events", tm.Len())
	}
}

func testLabel(t *testing.T, s fraud.FeatureState) {
	// Two transactions in the same second at the same terminal: labels tell them apart.
	a := tx("a", time.Hour, "c1", "t1", 10)
	b := tx("b", time.Hour, "c2", "t1", 20)
	for _, x := range []*fraud.Transaction{a, b} {
		if err := s.Observe(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	frauds := func() []bool {
		_, tm := load(t, s, "c1", "t1")
		var f []bool
		for i := range tm.Len() {
			f = append(f, tm.At(i).Fraud())
		}
		return f
	}
	for _, step := range []struct {
		x     *fraud.Transaction
		fraud bool
		want  [2]bool
	}{
		{b, true, [2]bool{false, true}},
		{b, true, [2]bool{false, true}}, // idempotent
		{a, true, [2]bool{true, true}},
		{b, false, [2]bool{true, false}}, // the last label wins
	} {
		if err := s.Label(ctx, step.x, step.fraud); err != nil {
			t.Fatal(err)
		}
		if got := frauds(); len(got) != 2 || got[0] != step.want[0] || got[1] != step.want[1] {
			t.Fatalf("after labelling %s %v: frauds %v, want %v", step.x.ID, step.fraud, got, step.want)
		}
	}
	// Labels for transactions the state does not hold change nothing and are not errors.
	for _, x := range []*fraud.Transaction{tx("zz", time.Hour, "c1", "t1", 1), tx("a", time.Hour, "c1", "elsewhere", 1)} {
		if err := s.Label(ctx, x, true); err != nil {
			t.Errorf("label of an unknown transaction: %v", err)
		}
	}
	if got := frauds(); !got[0] || got[1] {
		t.Fatalf("a label for an unknown transaction changed frauds to %v", got)
	}
}

func testInvalid(t *testing.T, s fraud.FeatureState) {
	for _, x := range []*fraud.Transaction{
		{ID: "x", Timestamp: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), Amount: 1, CustomerID: "c", TerminalID: "t"},
		{ID: "x", Timestamp: start, Amount: -5, CustomerID: "c", TerminalID: "t"},
	} {
		if err := s.Observe(ctx, x); !errors.Is(err, fraud.ErrInvalid) {
			t.Errorf("Observe(%v, %v): %v, want ErrInvalid", x.Timestamp, x.Amount, err)
		}
	}
	c, tm := load(t, s, "c", "t")
	if c.Len() != 0 || tm.Len() != 0 {
		t.Error("a refused Observe changed the state")
	}
}

// onlyBlobs hides any in-place reading, so the engine uses Load like a networked state.
type onlyBlobs struct{ fraud.FeatureState }

// testFeatures replays a generated history through an engine over the state and compares
// every feature with the reference computation.
func testFeatures(t *testing.T, s fraud.FeatureState) {
	recs := featuretest.Generate(featuretest.Options{Seed: 99, Customers: 40, Terminals: 60, Days: 40, Extras: true})
	want := featuretest.Reference(recs, feature.DefaultLabelDelay)
	e, err := feature.New(feature.Options{State: onlyBlobs{s}})
	if err != nil {
		t.Fatal(err)
	}
	i, bad := 0, 0
	_, err = feature.Replay(ctx, featuretest.NewReader(recs), e, feature.ReplayOptions{}, func(_ *history.Record, f []float64) error {
		for k := range f {
			if !featuretest.Close(f[k], want[i][k], 1e-6) {
				if bad++; bad <= 5 {
					t.Errorf("record %d: %s = %v, want %v", i, feature.Index(k), f[k], want[i][k])
				}
			}
		}
		i++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testConcurrent(t *testing.T, s fraud.FeatureState) {
	const workers, each = 4, 60 // 240 events: under the default MaxEvents
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			blobs := make([][]byte, 1)
			for i := range each {
				id := strconv.Itoa(w*each + i)
				x := tx(id, time.Duration(i)*time.Minute, "shared", "t"+strconv.Itoa(w), 1)
				if err := s.Observe(ctx, x); err != nil {
					t.Error(err)
					return
				}
				if err := s.Label(ctx, x, i%2 == 0); err != nil {
					t.Error(err)
					return
				}
				if err := s.Load(ctx, []fraud.EntityKey{{Kind: fraud.CustomerEntity, ID: "shared"}}, blobs); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	c, _ := load(t, s, "shared", "t0")
	if c.Len() != workers*each {
		t.Fatalf("%d events after %d concurrent observations", c.Len(), workers*each)
	}
}
