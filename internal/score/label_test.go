package score

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/score/scoretest"
)

// terminalVerdict is whether the feature state counts tx's payment at terminal t-4 as fraud
// (the fixtures' transactions all go there, one per test here).
func (f *fixture) terminalVerdict(t *testing.T) bool {
	t.Helper()
	f.state.RLock()
	defer f.state.RUnlock()
	h := f.state.Terminal("t-4")
	if h == nil || h.Len() != 1 {
		t.Fatalf("terminal t-4 holds %v", h)
	}
	return h.At(0).Fraud()
}

// TestLabelRetryIsIdempotent: the same label sent again (a client that timed out) stores
// nothing and answers the label first stored; another source or verdict is stored.
func TestLabelRetryIsIdempotent(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	if _, err := f.p.Score(ctx, txn("tx-1", 42.5)); err != nil {
		t.Fatal(err)
	}
	first := fraud.Label{TransactionID: "tx-1", Fraud: true, Source: "api", LabelledAt: t0.Add(time.Hour)}
	if cur, replayed, err := f.p.Label(ctx, first); err != nil || replayed || cur != first {
		t.Fatalf("first label: %+v %v %v", cur, replayed, err)
	}
	retry := first
	retry.LabelledAt = t0.Add(2 * time.Hour)
	cur, replayed, err := f.p.Label(ctx, retry)
	if err != nil || !replayed || !cur.LabelledAt.Equal(first.LabelledAt) {
		t.Fatalf("retry: %+v replayed %v %v; want the first label, replayed", cur, replayed, err)
	}
	other := fraud.Label{TransactionID: "tx-1", Fraud: true, Source: "chargeback", LabelledAt: t0.Add(3 * time.Hour)}
	if _, replayed, err := f.p.Label(ctx, other); err != nil || replayed {
		t.Fatalf("another source: replayed %v %v", replayed, err)
	}
	page, err := f.store.Labels(ctx, fraud.LabelFilter{TransactionID: "tx-1"})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("stored labels %+v %v; want 2 (the retry stored nothing)", page.Items, err)
	}
}

// TestLabelStateFollowsLatest: the feature state ends with the verdict of the latest label
// by time, even when an older label arrives last, and when labels race.
func TestLabelStateFollowsLatest(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	if _, err := f.p.Score(ctx, txn("tx-1", 42.5)); err != nil {
		t.Fatal(err)
	}
	newer := fraud.Label{TransactionID: "tx-1", Fraud: false, Source: "chargeback", LabelledAt: t0.Add(48 * time.Hour)}
	older := fraud.Label{TransactionID: "tx-1", Fraud: true, Source: "analyst", LabelledAt: t0.Add(47 * time.Hour)}
	if _, _, err := f.p.Label(ctx, newer); err != nil {
		t.Fatal(err)
	}
	cur, _, err := f.p.Label(ctx, older)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Fraud || f.terminalVerdict(t) {
		t.Fatalf("an older label arriving last: current %+v, state fraud %v; want the newer verdict (genuine)", cur, f.terminalVerdict(t))
	}

	// Racing labels with alternating verdicts: the state agrees with the store's latest.
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			l := fraud.Label{TransactionID: "tx-1", Fraud: i%2 == 0, Source: "race",
				LabelledAt: t0.Add(72*time.Hour + time.Duration(i)*time.Second)}
			if _, _, err := f.p.Label(ctx, l); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	latest, found, err := f.p.latestLabel(ctx, "tx-1")
	if err != nil || !found {
		t.Fatal(found, err)
	}
	// (Which label ends latest depends on the order the calls ran in: one with the verdict
	// and source already current is a replay and stores nothing.)
	if got := f.terminalVerdict(t); got != latest.Fraud || latest.LabelledAt.Before(t0.Add(72*time.Hour)) {
		t.Fatalf("state fraud %v, latest stored label %+v; want the state to follow a racing label", got, latest)
	}
}

// TestFreeTextRefusesCardNumbers: a label's source and a case's note are stored, listed and
// audited: something that looks like a card number is refused there, with its field.
func TestFreeTextRefusesCardNumbers(t *testing.T) {
	f := newFixture(t, fixtureOptions{rules: reviewAll})
	ctx := context.Background()
	if _, err := f.p.Score(ctx, txn("tx-1", 42.5)); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.p.Label(ctx, fraud.Label{TransactionID: "tx-1", Fraud: true, Source: "4111 1111 1111 1111"})
	var verr *fraud.ValidationError
	if !errors.As(err, &verr) || len(verr.Fields) != 1 || verr.Fields[0].Path != "source" {
		t.Errorf("card number as a label's source: %v", err)
	}
	c := openCase(t, f, "tx-1")
	if _, err := f.p.ResolveCase(ctx, c.ID, true, "card 4111-1111-1111-1111 confirmed"); !errors.As(err, &verr) || verr.Fields[0].Path != "note" {
		t.Errorf("card number in a case's note: %v", err)
	}
	if got, _ := f.store.Case(ctx, c.ID); got.Status != fraud.CaseOpen {
		t.Errorf("a refused resolution changed the case: %+v", got)
	}
}

// hangUpAfterResolve cancels the caller's context as soon as the case's resolution is
// committed: a client that hangs up at the worst moment.
type hangUpAfterResolve struct {
	Store
	cancel context.CancelFunc
}

func (s *hangUpAfterResolve) ResolveCase(ctx context.Context, id string, res fraud.Outcome, note string, at time.Time) error {
	err := s.Store.ResolveCase(ctx, id, res, note, at)
	s.cancel()
	return err
}

// TestResolveCaseSurvivesHangUp: once the resolution is committed, the label follows even
// if the caller's context ends; a resolved case is never left unlabelled by a hang-up.
func TestResolveCaseSurvivesHangUp(t *testing.T) {
	st := scoretest.NewStack(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := New(Options{Engine: st.Engine, Store: &hangUpAfterResolve{Store: st.Store, cancel: cancel},
		Pseudonymizer: st.Pseudonymizer, Model: trainedModel(t), Rules: []byte(reviewAll),
		Archive: DirArchive(filepath.Join(st.Dir, "rules"))})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{p: p, store: st.Store, state: st.State, dir: st.Dir}
	if _, err := p.Score(context.Background(), txn("tx-1", 42.5)); err != nil {
		t.Fatal(err)
	}
	c := openCase(t, f, "tx-1")
	resolved, err := p.ResolveCase(ctx, c.ID, true, "")
	if err != nil || resolved.Status != fraud.CaseResolved {
		t.Fatalf("resolve with a hang-up after the commit: %+v %v", resolved, err)
	}
	page, err := st.Store.Labels(context.Background(), fraud.LabelFilter{TransactionID: "tx-1"})
	if err != nil || len(page.Items) != 1 || !page.Items[0].Fraud || page.Items[0].Source != "case" {
		t.Fatalf("labels after the hang-up: %+v %v; want the case's fraud label", page.Items, err)
	}
	if !f.terminalVerdict(t) {
		t.Error("the label did not reach the feature state")
	}
}

// openCase returns the review case opened for the decision on transaction txID.
func openCase(t *testing.T, f *fixture, txID string) *fraud.Case {
	t.Helper()
	d, err := f.store.DecisionByTransaction(context.Background(), txID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.store.Case(context.Background(), CaseID(d.ID))
	if err != nil || c.Status != fraud.CaseOpen {
		t.Fatalf("case of %s: %+v %v", txID, c, err)
	}
	return c
}

// TestRepeatedLabelOnFoldedPaymentCountsOnce: a terminal with more payments than it keeps
// one by one folds the oldest into their day's counts, where a fraud label adds one each
// time it is applied; a label sent again (a replay) must not reach the state again.
func TestRepeatedLabelOnFoldedPaymentCountsOnce(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.p.now = func() time.Time { return t0.Add(30 * 24 * time.Hour) }
	ctx := context.Background()
	const n = 300 // more than the terminal keeps one by one (window.Limits.MaxEvents, 256)
	for i := range n {
		tx := txn("tx-"+strconv.Itoa(i), 10)
		tx.Timestamp = t0.Add(time.Duration(i) * 10 * time.Second)
		if _, err := f.p.Score(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	f.state.RLock()
	folded := f.state.Terminal("t-4").IsFolded()
	f.state.RUnlock()
	if !folded {
		t.Fatal("setup: the terminal folded nothing")
	}
	for range 3 {
		if _, _, err := f.p.Label(ctx, fraud.Label{TransactionID: "tx-0", Fraud: true, Source: "api"}); err != nil {
			t.Fatal(err)
		}
	}
	probe := txn("probe", 10)
	probe.Timestamp = t0.Add(7*24*time.Hour + 12*time.Hour)
	r, err := f.p.Score(ctx, probe)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Decision.Features[feature.TerminalRisk7d], 1.0/n; math.Abs(got-want) > 1e-12 {
		t.Errorf("terminal_risk_7d = %v, want %v (one fraud among %d payments)", got, want, n)
	}
}
