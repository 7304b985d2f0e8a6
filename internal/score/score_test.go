package score

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/rules"
	"github.com/vigil-fraud/vigil/internal/score/scoretest"
	"github.com/vigil-fraud/vigil/internal/state/memory"
	"github.com/vigil-fraud/vigil/internal/store/sqlite"
)

var (
	modelOnce sync.Once
	testModel *model.File
)

// trainedModel is the model the fixtures serve: a 30-tree GBDT trained through the same
// protocol as vigil train (scoretest), loaded once per test binary so that every fixture and
// assertion shares one version.
func trainedModel(t testing.TB) *model.File {
	t.Helper()
	modelOnce.Do(func() { testModel = scoretest.Model(t, 30) })
	if testModel == nil {
		t.Fatal("no test model")
	}
	return testModel
}

type fixture struct {
	p     *Pipeline
	store *sqlite.Store
	state *memory.State
	dir   string
}

type fixtureOptions struct {
	rules   string
	noModel bool
}

func newFixture(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	st := scoretest.NewStack(t)
	opts := Options{Engine: st.Engine, Store: st.Store, Pseudonymizer: st.Pseudonymizer, Archive: DirArchive(filepath.Join(st.Dir, "rules"))}
	if !o.noModel {
		opts.Model = trainedModel(t)
	}
	if o.rules != "" {
		opts.Rules = []byte(o.rules)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{p: p, store: st.Store, state: st.State, dir: st.Dir}
}

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func txn(id string, amount float64) *fraud.Transaction {
	return &fraud.Transaction{ID: id, Timestamp: t0, Amount: amount, Currency: "EUR",
		CustomerID: "c-17", TerminalID: "t-4", Card: "tok_9f2c", Channel: "ecommerce",
		Country: "FR", DeviceID: "d-1", IP: "203.0.113.7"}
}

func TestScoreStoresDecisionAndUpdatesState(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	r, err := f.p.Score(ctx, txn("tx-1", 42.5))
	if err != nil {
		t.Fatal(err)
	}
	d := r.Decision
	if r.Replayed || d.ID == "" || d.TransactionID != "tx-1" || d.Outcome.Severity() < 0 {
		t.Fatalf("decision %+v", d)
	}
	if !(d.Score >= 0 && d.Score <= 1) {
		t.Fatalf("score %v", d.Score)
	}
	if d.ModelVersion != testModel.Version() || d.RulesVersion != rules.Version(rules.DefaultSource()) {
		t.Errorf("versions %s %s", d.ModelVersion, d.RulesVersion)
	}
	if len(d.Features) != feature.NumFeatures || len(d.FeatureNames) != feature.NumFeatures {
		t.Errorf("features %d names %d", len(d.Features), len(d.FeatureNames))
	}
	stored, err := f.store.Decision(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Score != d.Score || stored.Outcome != d.Outcome {
		t.Errorf("stored %+v, returned %+v", stored, d)
	}
	tx, err := f.store.Transaction(ctx, "tx-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{tx.CustomerID, tx.Card, tx.DeviceID, tx.IP} {
		if !fraud.IsPseudonym(v) {
			t.Errorf("stored identifier %q is not a pseudonym", v)
		}
	}
	if s := f.state.Stats(); s.Customers != 1 || s.Terminals != 1 {
		t.Errorf("state after one transaction: %+v", s)
	}
	// The second transaction of the customer sees the first one in its features.
	r2, err := f.p.Score(ctx, &fraud.Transaction{ID: "tx-2", Timestamp: t0.Add(time.Minute), Amount: 10,
		Currency: "EUR", CustomerID: "c-17", TerminalID: "t-5"})
	if err != nil {
		t.Fatal(err)
	}
	// The handbook's counts include the transaction itself.
	if got := r2.Decision.Features[feature.CustomerTxCount1d]; got != 2 {
		t.Errorf("customer_tx_count_1d of the second transaction = %v, want 2", got)
	}
}

func TestRepeatReturnsStoredDecisionOnce(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	first, err := f.p.Score(ctx, txn("tx-1", 42.5))
	if err != nil {
		t.Fatal(err)
	}
	seq := f.state.Stats().Seq
	again, err := f.p.Score(ctx, txn("tx-1", 42.5))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Decision.ID != first.Decision.ID {
		t.Fatalf("repeat gave %+v (replayed %v), want decision %s", again.Decision, again.Replayed, first.Decision.ID)
	}
	if got := f.state.Stats().Seq; got != seq {
		t.Errorf("a repeat updated the feature state (seq %d -> %d)", seq, got)
	}
	if _, err := f.p.Score(ctx, txn("tx-1", 43)); !errors.Is(err, fraud.ErrConflict) {
		t.Errorf("same id, other amount: %v, want ErrConflict", err)
	}

	// Concurrent repeats: exactly one decision, one state update.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Go(func() {
			r, err := f.p.Score(ctx, txn("tx-2", 7))
			errs[i] = err
			if err == nil {
				ids[i] = r.Decision.ID
			}
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("concurrent repeat %d: %v, id %s vs %s", i, errs[i], ids[i], ids[0])
		}
	}
	if s := f.p.Stats(); s.Scored != 2 || s.Replayed != 8 {
		t.Errorf("stats %+v, want 2 scored and 8 replayed", s)
	}
}

const reviewAll = `version: 1
thresholds: {review: 0.5, decline: 0.9}
rules:
  - name: look_at_everything
    when: txn.amount > 0.0
    action: review
    reason: every payment is reviewed in this test
`

func TestReviewOpensCaseAndResolutionLabels(t *testing.T) {
	f := newFixture(t, fixtureOptions{rules: reviewAll})
	ctx := context.Background()
	r, err := f.p.Score(ctx, txn("tx-1", 42.5))
	if err != nil {
		t.Fatal(err)
	}
	if r.Decision.Outcome != fraud.Review || len(r.Decision.RuleHits) != 1 {
		t.Fatalf("outcome %s hits %+v", r.Decision.Outcome, r.Decision.RuleHits)
	}
	c, err := f.store.Case(ctx, CaseID(r.Decision.ID))
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != fraud.CaseOpen || c.TransactionID != "tx-1" {
		t.Errorf("case %+v", c)
	}
	resolved, err := f.p.ResolveCase(ctx, c.ID, true, "confirmed with the cardholder")
	if err != nil {
		t.Fatal(err)
	}
	if resolved.Status != fraud.CaseResolved || resolved.Resolution != fraud.Decline {
		t.Errorf("resolved case %+v", resolved)
	}
	labels, err := f.store.Labels(ctx, fraud.LabelFilter{TransactionID: "tx-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(labels.Items) != 1 || !labels.Items[0].Fraud || labels.Items[0].Source != "case" {
		t.Errorf("labels %+v", labels.Items)
	}
	// The label reached the state: the terminal now holds one known fraud.
	f.state.RLock()
	frauds := f.state.Terminal("t-4").Frauds()
	f.state.RUnlock()
	if frauds != 1 {
		t.Errorf("terminal frauds %d, want 1", frauds)
	}
	if _, err := f.p.ResolveCase(ctx, c.ID, false, ""); !errors.Is(err, fraud.ErrConflict) {
		t.Errorf("resolving twice: %v, want ErrConflict", err)
	}
	if _, _, err := f.p.Label(ctx, fraud.Label{TransactionID: "never-scored", Fraud: true}); !errors.Is(err, fraud.ErrNotFound) {
		t.Errorf("label of an unknown transaction: %v", err)
	}
	if _, _, err := f.p.Label(ctx, fraud.Label{TransactionID: "", Fraud: true}); !errors.Is(err, fraud.ErrInvalid) {
		t.Errorf("label without id: %v", err)
	}
}

func TestListsAreAppliedPseudonymised(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	l, err := f.p.PutList(ctx, "blocked_cards", []string{"tok_9f2c", "tok_9f2c", "tok_other"})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 2 || l.Version == 0 {
		t.Fatalf("list %+v", l)
	}
	for _, it := range l.Items {
		if !fraud.IsPseudonym(it) {
			t.Errorf("stored card list item %q is not a pseudonym", it)
		}
	}
	r, err := f.p.Score(ctx, txn("tx-1", 10))
	if err != nil {
		t.Fatal(err)
	}
	if r.Decision.Outcome != fraud.Decline || r.Decision.RuleHits[0].Rule != "blocked_card" {
		t.Errorf("blocked card: %s %+v", r.Decision.Outcome, r.Decision.RuleHits)
	}
	// Replacing a list moves its version on.
	l2, err := f.p.PutList(ctx, "blocked_cards", []string{"tok_9f2c"})
	if err != nil || l2.Version != l.Version+1 || len(l2.Items) != 1 {
		t.Fatalf("replacing the list: %+v %v", l2, err)
	}
	// Terminals are not pseudonymised: the list keeps them as given.
	l, err = f.p.PutList(ctx, "blocked_terminals", []string{"t-9"})
	if err != nil || l.Items[0] != "t-9" {
		t.Errorf("terminal list %+v %v", l, err)
	}

	var verr *fraud.ValidationError
	if _, err := f.p.PutList(ctx, "Bad-Name", nil); !errors.As(err, &verr) || verr.Fields[0].Path != "name" {
		t.Errorf("bad name: %v", err)
	}
	_, err = f.p.PutList(ctx, "blocked_cards", []string{"ok", "4111 1111 1111 1111"})
	if !errors.As(err, &verr) || verr.Fields[0].Path != "items[1]" || strings.Contains(err.Error(), "4111") {
		t.Errorf("raw PAN: %v", err)
	}
	// A new list may be used by a rule set from then on.
	withVIP := `version: 1
thresholds: {review: 0.5, decline: 0.9}
rules:
  - name: vip
    when: txn.customer_id in lists.vip_customers
    action: approve
    reason: trusted customer
`
	if _, err := f.p.SetRules([]byte(withVIP)); err == nil {
		t.Fatal("a rule on an undeclared list must not compile")
	}
	if _, err := f.p.PutList(ctx, "vip_customers", []string{"c-17"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.SetRules([]byte(withVIP)); err != nil {
		t.Fatal(err)
	}
	r, err = f.p.Score(ctx, txn("tx-2", 10))
	if err != nil {
		t.Fatal(err)
	}
	if r.Decision.Outcome != fraud.Approve || len(r.Decision.RuleHits) != 1 || r.Decision.RuleHits[0].Rule != "vip" {
		t.Errorf("vip: %s %+v", r.Decision.Outcome, r.Decision.RuleHits)
	}
}

func TestBadRulesKeepTheRunningSet(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	before := f.p.RuleSet().Version()
	_, err := f.p.SetRules([]byte("version: 1\nthresholds: {review: 0.5, decline: 0.9}\nrules:\n  - name: x\n    when: txn.nope > 1\n    action: review\n    reason: r\n"))
	var verr *fraud.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err %v", err)
	}
	if f.p.RuleSet().Version() != before {
		t.Error("a refused rule set replaced the running one")
	}
}

func TestExplainReproducesDecisions(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	r, err := f.p.Score(ctx, txn("tx-1", 42.5))
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.p.Explain(ctx, r.Decision.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Match || e.Score != r.Decision.Score || e.Outcome != r.Decision.Outcome {
		t.Fatalf("explanation %+v", e)
	}
	if len(e.Reasons) != len(r.Decision.Reasons) {
		t.Errorf("reasons %+v vs %+v", e.Reasons, r.Decision.Reasons)
	}
	// After a rule change the decision is still explained with the rules it was made with
	// (from the archive).
	if _, err := f.p.SetRules([]byte(reviewAll)); err != nil {
		t.Fatal(err)
	}
	e, err = f.p.Explain(ctx, r.Decision.ID, nil)
	if err != nil || !e.Match {
		t.Fatalf("after a rule change: %+v %v", e, err)
	}
	// A list change that flips a rule is reported, not hidden.
	if _, err := f.p.PutList(ctx, "blocked_cards", []string{"tok_9f2c"}); err != nil {
		t.Fatal(err)
	}
	e, err = f.p.Explain(ctx, r.Decision.ID, nil)
	if err != nil || e.Match || !e.ScoreMatch || len(e.Notes) == 0 {
		t.Fatalf("after a list change: %+v %v", e, err)
	}
	if _, err := f.p.Explain(ctx, "dec_unknown", nil); !errors.Is(err, fraud.ErrNotFound) {
		t.Errorf("unknown decision: %v", err)
	}
}

func TestModelSwapAndReadiness(t *testing.T) {
	f := newFixture(t, fixtureOptions{noModel: true})
	if err := f.p.Ready(); !errors.Is(err, ErrNoModel) {
		t.Fatalf("ready without model: %v", err)
	}
	if _, err := f.p.Score(context.Background(), txn("tx-1", 1)); !errors.Is(err, ErrNoModel) {
		t.Fatalf("score without model: %v", err)
	}
	bad := &model.File{Model: trainedModel(t).Model, Features: []model.Feature{{Name: "no_such_feature"}}}
	if err := f.p.SetModel(bad); !errors.Is(err, model.ErrInvalidModel) {
		t.Errorf("incompatible model: %v", err)
	}
	if err := f.p.SetModel(trainedModel(t)); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Ready(); err != nil {
		t.Fatal(err)
	}
}

func TestScoreBatch(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	ts := []*fraud.Transaction{txn("b-1", 10), txn("b-2", 20), txn("b-3", 30)}
	ts[2].Timestamp = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) // the engine cannot represent it
	items := f.p.ScoreBatch(ctx, ts)
	if items[0].Err != nil || items[1].Err != nil || items[0].Decision.ID == items[1].Decision.ID {
		t.Fatalf("items %+v", items)
	}
	if !errors.Is(items[2].Err, fraud.ErrInvalid) {
		t.Errorf("bad item: %v", items[2].Err)
	}
	// In one batch the transactions do not see each other.
	if items[1].Decision.Features[feature.CustomerTxCount1d] != 1 {
		t.Errorf("batch item saw an earlier item of the same batch")
	}
	if s := f.state.Stats(); s.Seq != 2 {
		t.Errorf("state seq %d, want 2 updates", s.Seq)
	}
	again := f.p.ScoreBatch(ctx, []*fraud.Transaction{txn("b-1", 10)})
	if !again[0].Replayed || again[0].Decision.ID != items[0].Decision.ID {
		t.Errorf("batch repeat %+v", again[0])
	}
}

func TestReasonsAreFiniteAndWorded(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for i := range 20 {
		tx := txn("r-"+string(rune('a'+i)), float64(10+i*30))
		tx.Timestamp = t0.Add(time.Duration(i) * time.Minute)
		r, err := f.p.Score(context.Background(), tx)
		if err != nil {
			t.Fatal(err)
		}
		for _, reason := range r.Decision.Reasons {
			if math.IsNaN(reason.Value) || math.IsInf(reason.Value, 0) || reason.Text == "" || reason.Contribution <= 0 {
				t.Errorf("reason %+v", reason)
			}
		}
	}
}

func TestWatchRulesReloadsAndRefuses(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	path := filepath.Join(f.dir, "rules.yaml")
	if err := os.WriteFile(path, []byte(reviewAll), 0o600); err != nil {
		t.Fatal(err)
	}
	reloaded := make(chan string, 4)
	f.p.onRules = func(_, v string) { reloaded <- v }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go f.p.WatchRules(ctx, path, 10*time.Millisecond)
	select {
	case v := <-reloaded:
		if v != rules.Version([]byte(reviewAll)) || f.p.RuleSet().Version() != v {
			t.Fatalf("reloaded %s, in force %s", v, f.p.RuleSet().Version())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the rules file was not loaded")
	}
	// A broken file is refused; the running set stays.
	if err := os.WriteFile(path, []byte("rules: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if f.p.RuleSet().Version() != rules.Version([]byte(reviewAll)) {
		t.Fatal("a broken rules file replaced the running set")
	}
	// Fixing the file puts it in force.
	if err := os.WriteFile(path, rules.DefaultSource(), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-reloaded:
		if v != rules.Version(rules.DefaultSource()) {
			t.Fatalf("reloaded %s", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the fixed rules file was not loaded")
	}
}
