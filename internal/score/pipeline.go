package score

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"maps"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-fraud/vigil/internal/feature"
	"github.com/vigil-fraud/vigil/internal/fraud"
	"github.com/vigil-fraud/vigil/internal/model"
	"github.com/vigil-fraud/vigil/internal/rules"
)

// Store is what the pipeline needs of the durable store.
type Store interface {
	fraud.DecisionStore
	fraud.LabelStore
	fraud.CaseStore
	fraud.ListStore
}

// ErrNoModel means no model is loaded: the pipeline cannot score.
var ErrNoModel = errors.New("no model loaded")

// DefaultReasons is how many reason codes a decision carries by default.
const DefaultReasons = 3

// DefaultMaxFutureSkew is how far ahead of the server's clock a transaction's timestamp may
// be by default (Options.MaxFutureSkew).
const DefaultMaxFutureSkew = time.Hour

// Options configure New. Engine, Store and Pseudonymizer are required.
type Options struct {
	// Engine computes the features; its state is updated after each durable decision.
	Engine *feature.Engine
	// Store keeps transactions, decisions, labels, cases and lists.
	Store Store
	// Pseudonymizer replaces customer, card, device and IP identifiers before anything else
	// sees them.
	Pseudonymizer *fraud.Pseudonymizer
	// Model is the model to serve first; nil leaves the pipeline unready until SetModel.
	Model *model.File
	// Rules is the rule set's source; nil means the rule set vigil ships (rules.DefaultSource).
	Rules []byte
	// Lists are the named lists as stored (identifiers already pseudonymised).
	Lists []fraud.List
	// Archive keeps every rule set that was ever active, for Explain; nil keeps none.
	Archive RulesArchive
	// Reasons is how many reason codes a decision carries (default DefaultReasons).
	Reasons int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxFutureSkew is how far past Now a transaction's timestamp may be (a client's clock
	// running ahead): later ones are refused (default DefaultMaxFutureSkew). One far-future
	// timestamp would otherwise move its customer's and terminal's windows ahead, and every
	// payment after it would count as too old to keep until that date.
	MaxFutureSkew time.Duration
	// Logger receives operational errors; it never receives identifiers or amounts.
	Logger *slog.Logger
	// OnRulesReload, when set, is called after WatchRules put a changed file in force.
	OnRulesReload func(previous, version string)
}

// active is everything one transaction is scored with. It is replaced, never modified.
type active struct {
	file  *model.File // nil: no model
	proj  []int       // model input j is engine feature proj[j]
	names []string    // the model's feature names
	rules *rules.RuleSet
	lists map[string][]string
	cel   *rules.Lists
}

// Stats count what the pipeline did since it started.
type Stats struct {
	Scored      uint64 // decisions made and stored
	Replayed    uint64 // repeats answered with the stored decision
	StateErrors uint64 // decisions stored whose feature-state update failed
	CaseErrors  uint64 // review decisions whose case could not be opened
}

// Pipeline scores transactions. It is safe for concurrent use.
type Pipeline struct {
	engine  *feature.Engine
	store   Store
	pseudo  *fraud.Pseudonymizer
	archive RulesArchive
	reasons int
	now     func() time.Time
	maxSkew time.Duration
	log     *slog.Logger
	onRules func(previous, version string)

	cur     atomic.Pointer[active]
	control sync.Mutex // serialises SetModel, SetRules and PutList
	// labelLocks take the labels of one transaction one at a time (Label), so that the
	// feature state ends with the verdict the store holds.
	labelLocks [lockStripes]sync.Mutex
	// customerLocks keep an erasure (EraseCustomer, the write side) from running between a
	// decision's save and its feature-state update (the read side, by customer pseudonym):
	// the update would put the erased customer's history back.
	customerLocks [lockStripes]sync.RWMutex

	scratch sync.Pool // *scratch

	scored, replayed, stateErrors, caseErrors atomic.Uint64
}

// scratch is one transaction's working memory.
type scratch struct {
	x       [feature.NumFeatures]float64
	mx      []float64
	contrib []float64
	top     []model.Reason
	res     rules.Result
}

// New builds a pipeline. It fails when a required option is missing, the model's features
// are not the engine's, or the rule set does not compile.
func New(o Options) (*Pipeline, error) {
	if o.Engine == nil || o.Store == nil || o.Pseudonymizer == nil {
		return nil, errors.New("score: engine, store and pseudonymizer are required")
	}
	if o.Reasons <= 0 {
		o.Reasons = DefaultReasons
	}
	if o.MaxFutureSkew <= 0 {
		o.MaxFutureSkew = DefaultMaxFutureSkew
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Pipeline{engine: o.Engine, store: o.Store, pseudo: o.Pseudonymizer, archive: o.Archive,
		reasons: o.Reasons, now: o.Now, maxSkew: o.MaxFutureSkew, log: o.Logger, onRules: o.OnRulesReload}
	p.scratch.New = func() any { return new(scratch) }
	a := &active{lists: make(map[string][]string)}
	for _, l := range o.Lists {
		a.lists[l.Name] = l.Items
	}
	a.cel = rules.NewLists(a.lists)
	if o.Model != nil {
		if err := a.setModel(o.Model); err != nil {
			return nil, err
		}
	}
	src := o.Rules
	if src == nil {
		src = rules.DefaultSource()
	}
	rs, err := rules.Parse(src, rules.Options{ListNames: listNames(a.lists)})
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	a.rules = rs
	if err := p.archiveRules(rs); err != nil {
		return nil, err
	}
	p.cur.Store(a)
	return p, nil
}

// Result is the outcome of scoring one transaction.
type Result struct {
	Decision *fraud.Decision
	// Replayed is true when the transaction id was scored before: Decision is the stored one.
	Replayed bool
}

// Score decides on t, which must be valid (fraud.DecodeTransaction or Validate) and carry
// raw identifiers: Score pseudonymises them in place. It returns once the decision is
// durable. Errors: ErrNoModel; fraud.ErrInvalid when t cannot be represented by the feature
// engine; fraud.ErrConflict when t's id was scored with other content; otherwise the
// store's or the state's error.
func (p *Pipeline) Score(ctx context.Context, t *fraud.Transaction) (Result, error) {
	began := time.Now()
	a := p.cur.Load()
	d, err := p.decide(ctx, a, t, began)
	if err != nil {
		return Result{}, err
	}
	// Once decided, the decision is saved whatever ctx does: a SaveDecision that gave up on
	// a caller's ended context after the commit would leave a stored decision whose state
	// update never comes (a retry is answered from the store and updates nothing).
	mu := p.customerLock(t.CustomerID)
	mu.RLock()
	defer mu.RUnlock()
	return p.commit(ctx, t, d, p.store.SaveDecision(context.WithoutCancel(ctx), t, d))
}

// BatchItem is the result of one transaction of a batch.
type BatchItem struct {
	Result
	Err error
}

// ScoreBatch scores ts as one batch: every transaction is scored against the state as it was
// before the batch (as if they all arrived in the same instant), the decisions are saved
// together (one group commit) and the state is then updated in order. Each item succeeds or
// fails alone, with the errors of Score.
func (p *Pipeline) ScoreBatch(ctx context.Context, ts []*fraud.Transaction) []BatchItem {
	began := time.Now()
	a := p.cur.Load()
	items := make([]BatchItem, len(ts))
	decisions := make([]*fraud.Decision, len(ts))
	for i, t := range ts {
		decisions[i], items[i].Err = p.decide(ctx, a, t, began)
	}
	// The customers' locks (see Score), each taken once and in index order.
	var held [lockStripes]bool
	for i, t := range ts {
		if items[i].Err == nil {
			held[stripe(t.CustomerID)] = true
		}
	}
	for k := range held {
		if held[k] {
			p.customerLocks[k].RLock()
			defer p.customerLocks[k].RUnlock()
		}
	}
	saved := make([]error, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		if items[i].Err != nil {
			continue
		}
		wg.Go(func() { saved[i] = p.store.SaveDecision(context.WithoutCancel(ctx), t, decisions[i]) })
	}
	wg.Wait()
	for i, t := range ts {
		if items[i].Err != nil {
			continue
		}
		items[i].Result, items[i].Err = p.commit(ctx, t, decisions[i], saved[i])
	}
	return items
}

// lockStripes is the number of locks a Pipeline spreads transactions (labelLocks) and
// customers (customerLocks) over.
const lockStripes = 64

var stripeSeed = maphash.MakeSeed()

// stripe returns the lock stripe of key (a transaction id or a customer pseudonym).
func stripe(key string) int { return int(maphash.String(stripeSeed, key) % lockStripes) }

func (p *Pipeline) customerLock(pseudonym string) *sync.RWMutex {
	return &p.customerLocks[stripe(pseudonym)]
}

// EraseCustomer runs erase (which removes the customer with this pseudonym from the store
// and the feature state) while no decision of that customer is between its save and its
// feature-state update: one saved before is in both when erase runs, one saved after is
// new data, in both.
func (p *Pipeline) EraseCustomer(pseudonym string, erase func() error) error {
	mu := p.customerLock(pseudonym)
	mu.Lock()
	defer mu.Unlock()
	return erase()
}

// decide pseudonymises t and computes its decision with a's versions, without storing it.
func (p *Pipeline) decide(ctx context.Context, a *active, t *fraud.Transaction, began time.Time) (*fraud.Decision, error) {
	if a.file == nil {
		return nil, ErrNoModel
	}
	if t.Timestamp.After(p.now().Add(p.maxSkew)) {
		var verr fraud.ValidationError
		verr.Add("timestamp", fmt.Sprintf("more than %v in the future: is the sender's clock right?", p.maxSkew))
		return nil, &verr
	}
	p.pseudo.Apply(t)
	s := p.scratch.Get().(*scratch)
	defer p.scratch.Put(s)
	x := s.x[:]
	if err := p.engine.Compute(ctx, t, x); err != nil {
		return nil, err
	}
	d := &fraud.Decision{
		TransactionID: t.ID,
		ModelVersion:  a.file.Version(),
		RulesVersion:  a.rules.Version(),
		FeatureNames:  featureNames,
		Features:      append([]float64(nil), x...),
	}
	d.Score, d.Reasons = a.predict(s, x, p.reasons)
	a.rules.EvaluateInto(rules.Input{Transaction: t, Features: x, Score: d.Score, Lists: a.cel}, &s.res)
	for _, e := range s.res.Errors {
		p.log.Warn("rule failed", "rule", e.Error())
	}
	d.Outcome = s.res.Outcome
	if len(s.res.Hits) > 0 {
		d.RuleHits = append([]fraud.RuleHit(nil), s.res.Hits...)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("decision id: %w", err)
	}
	d.ID = "dec_" + id.String()
	d.CreatedAt = p.now().UTC()
	d.LatencyMicros = time.Since(began).Microseconds()
	return d, nil
}

// featureNames are the engine's feature names, shared by every decision (read only).
var featureNames = feature.Names()

// predict scores the engine vector x and returns the top k reasons in domain words.
func (a *active) predict(s *scratch, x []float64, k int) (float64, []fraud.Reason) {
	n := len(a.proj)
	if cap(s.mx) < n {
		s.mx, s.contrib = make([]float64, n), make([]float64, n)
	}
	mx, contrib := s.mx[:n], s.contrib[:n]
	for j, i := range a.proj {
		mx[j] = x[i]
	}
	margin, _ := a.file.Model.Explain(mx, contrib)
	s.top = model.TopReasons(a.names, contrib, k, s.top[:0])
	var reasons []fraud.Reason
	if len(s.top) > 0 {
		reasons = make([]fraud.Reason, len(s.top))
		for r, top := range s.top {
			i := a.proj[top.Feature]
			reasons[r] = fraud.Reason{Feature: featureNames[i], Value: x[i], Contribution: top.Contribution,
				Text: feature.Describe(feature.Index(i), x)}
			if math.IsNaN(reasons[r].Value) {
				reasons[r].Value = 0 // JSON has no NaN; Text says "unknown"
			}
		}
	}
	return model.Probability(margin), reasons
}

// commit finishes a decision whose save returned saveErr: on success it opens the case and
// updates the state; on a duplicate it answers with the stored decision.
func (p *Pipeline) commit(ctx context.Context, t *fraud.Transaction, d *fraud.Decision, saveErr error) (Result, error) {
	if errors.Is(saveErr, fraud.ErrConflict) {
		return p.replay(ctx, t)
	}
	if saveErr != nil {
		return Result{}, saveErr
	}
	p.scored.Add(1)
	// The decision is durable: from here on nothing may fail the call.
	if err := p.engine.Update(context.WithoutCancel(ctx), t); err != nil {
		p.stateErrors.Add(1)
		p.log.Error("feature state update failed; the decision stands", "decision", d.ID, "error", err)
	}
	if d.Outcome == fraud.Review {
		p.openCase(context.WithoutCancel(ctx), d)
	}
	return Result{Decision: d}, nil
}

// replay answers a repeat of t's id with the stored decision, after checking that t is the
// transaction stored under that id.
func (p *Pipeline) replay(ctx context.Context, t *fraud.Transaction) (Result, error) {
	stored, err := p.store.Transaction(ctx, t.ID)
	if err != nil {
		return Result{}, fmt.Errorf("transaction already scored, reading it back: %w", err)
	}
	if !sameTransaction(stored, t) {
		return Result{}, fmt.Errorf("transaction %w: its id was scored with other content", fraud.ErrConflict)
	}
	d, err := p.store.DecisionByTransaction(ctx, t.ID)
	if err != nil {
		return Result{}, fmt.Errorf("transaction already scored, reading its decision: %w", err)
	}
	p.replayed.Add(1)
	if d.Outcome == fraud.Review {
		p.openCase(ctx, d) // a crash may have lost it; a conflict means it is there
	}
	return Result{Decision: d, Replayed: true}, nil
}

// sameTransaction compares two pseudonymised transactions field by field.
func sameTransaction(a, b *fraud.Transaction) bool {
	return a.ID == b.ID && a.Timestamp.Equal(b.Timestamp) && a.Amount == b.Amount &&
		a.Currency == b.Currency && a.CustomerID == b.CustomerID && a.TerminalID == b.TerminalID &&
		a.Card == b.Card && a.MerchantCategory == b.MerchantCategory && a.Channel == b.Channel &&
		a.Country == b.Country && a.DeviceID == b.DeviceID && a.IP == b.IP &&
		maps.Equal(a.Attributes, b.Attributes)
}

// CaseID is the id of the review case a decision opens.
func CaseID(decisionID string) string { return "case_" + decisionID }

func (p *Pipeline) openCase(ctx context.Context, d *fraud.Decision) {
	err := p.store.OpenCase(ctx, fraud.Case{ID: CaseID(d.ID), DecisionID: d.ID, TransactionID: d.TransactionID,
		Status: fraud.CaseOpen, OpenedAt: p.now().UTC()})
	if err != nil && !errors.Is(err, fraud.ErrConflict) {
		p.caseErrors.Add(1)
		p.log.Error("opening the review case failed", "decision", d.ID, "error", err)
	}
}

// Stats returns the counters.
func (p *Pipeline) Stats() Stats {
	return Stats{Scored: p.scored.Load(), Replayed: p.replayed.Load(),
		StateErrors: p.stateErrors.Load(), CaseErrors: p.caseErrors.Load()}
}

// Ready returns nil when the pipeline can score, ErrNoModel otherwise.
func (p *Pipeline) Ready() error {
	if p.cur.Load().file == nil {
		return ErrNoModel
	}
	return nil
}
